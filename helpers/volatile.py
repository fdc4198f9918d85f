"""The values that change from run to run (ages, IPs, uids, random name suffixes, node ports, timestamps), and,
since pods really run, what real work makes vary (latencies, CPU and memory percentages, the replica counts an
autoscaler passes through and the arithmetic behind them), as patterns.

Notebooks store their outputs and nbval compares them on every CI run; these patterns turn the volatile parts
into fixed words so that equal states compare equal. `nbval_sanitize_file()` writes them in nbval's format.
nbval sanitizes every text output, `image/svg+xml` included: a live chart (helpers.charts, whose root element
carries CHART_CLASS) becomes one fixed word, so nbval still checks that the cell drew a chart, and compares the
rest of the cell as usual.
"""
from __future__ import annotations

import re

from .charts import CHART_CLASS

# Kubernetes' random suffixes use this alphabet (apimachinery rand.String / SafeEncodeString): no vowels.
_ALNUM = "bcdfghjklmnpqrstvwxz2456789"

PATTERNS: list[tuple[str, str]] = [
    # First: a chart's points, axes and times depend on timing; what is drawn is checked by the helpers' tests.
    (rf'(?s)<svg [^>]*class="{CHART_CLASS}".*?</svg>', "LIVE-CHART"),
    # kubectl's reports of a moment (chapters 02, 06 and 08: describe, get events, rollout status, top): what a
    # pod's life leaves behind.
    (r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\b", "DATE"),
    (r"\bcontainerd://[0-9a-f]{64}\b", "containerd://CONTAINER-ID"),
    (rf"\bkube-api-access-[{_ALNUM}]{{5}}\b", "kube-api-access-SUFFIX"),  # the service account token's volume
    (r"\bsandbox-worker\d*\b", "sandbox-worker-N"),  # where the scheduler put a pod
    (r"(?m)^(Node:\s+)[a-z0-9.-]+/", r"\1NODE/"),  # ... on another cluster
    (r"(Successfully assigned \S+ to )[a-z0-9.-]+", r"\1NODE"),
    (rf"\b(containo-[a-z0-9-]+?)-[{_ALNUM}]{{6,10}}-[{_ALNUM}]{{5}}_", r"\1-HASH-SUFFIX_"),  # <pod>_<namespace>(uid)
    # An event's repeats so far (`[ ]*`, not ` *`: configparser strips a value's leading space in the nbval file).
    (r"[ ]*\(x\d+ over \d+[smh]\S*\)", ""),
    # `rollout status` prints a line per step it saw (it may start before the controller saw the new template).
    (r'(?m)^Waiting for deployment (?:"[^"]+" rollout to finish|spec update to be observed).*\n', ""),
    # A probe that ran before the program listened (a process starts in its own time, at any time scale).
    (r"(?m)^.*\b(?:Readiness|Liveness|Startup) probe failed: .*connect: connection refused\n", ""),
    (r"(?m)\b\d+m( +)\d+Mi( *)$", r"CPU\1MEMORY\2"),  # the last two columns of `kubectl top pods`
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "TIMESTAMP"),
    (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "UID"),
    (r'resourceVersion: "\d+"', 'resourceVersion: "RV"'),
    (rf"\b(containo-[a-z0-9-]+?)-[{_ALNUM}]{{6,10}}-[{_ALNUM}]{{5}}\b", r"\1-HASH-SUFFIX"),  # pods
    (rf"\b(containo-[a-z0-9-]+?)-[{_ALNUM}]{{6,10}}\b", r"\1-HASH"),  # replica sets
    (rf"\b(containo-[a-z0-9-]+?)-[{_ALNUM}]{{5}}\b", r"\1-SUFFIX"),  # generateName: EndpointSlices, a Job's pods
    (rf"\b(pod-template-hash\"?[=: ]\s*\"?)[{_ALNUM}]{{6,10}}\b", r"\1HASH"),  # the label's value printed raw
    # Real CPU and memory: utilization in `kubectl get hpa`'s TARGETS and in the helpers' explanations; the target
    # after the slash stays compared.
    (r"\b(cpu|memory)(:?) \d+%/(\d+%)", r"\1\2 PCT%/\3"),
    (r"\b\d+% of requests\b", "PCT% of requests"),
    # The HPA's arithmetic on those numbers (hpa_math.describe): a ceil() proposal, or the tolerance's "stays".
    (r"ceil\(\d+ × [\d.]+ / [\d.]+\) = ceil\([\d.]+\) = \d+"
     r"|\b[\d.]+ / [\d.]+ = [\d.]+, within [\d.]+% of 1: stays \d+", "PROPOSAL"),
    (r"highest proposal: \d+[,;].*", "highest proposal: DECISION"),
    # Where an autoscaler goes under real load: the counts along the way, not the minimum it starts from.
    (r"\b(\d+) → \d+ replicas\b", r"\1 → N replicas"),
    (r"\b\d+ replicas now\b", "N replicas now"),
    (r"(?m)(HPA decisions: \d+)(?: → \d+)*( → \d+)$", r"\1 → ...\2"),
    (r"\bpeak \d+ replicas\b", "peak N replicas"),
    (r'"(durationMs|latencyMs)": [\d.]+', r'"\1": MS'),  # the app's JSON log lines
    # kubectl diff (chapter 07): its temporary folders and the files' times; the line numbers of its hunks and the
    # counters the live object's history sets (how many rollouts came before), not what the diff shows.
    (r"\S*/(LIVE|MERGED)-\d+/", r"/tmp/\1-N/"),
    (r"\t\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? [+-]\d{4}", "\tFILE-TIME"),
    (r"(?m)^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", "@@ LINES @@"),
    (r"(?m)^([-+ ] +generation: )\d+$", r"\1N"),
    (r'(?m)^([-+ ] +deployment\.kubernetes\.io/revision: )"\d+"$', r'\1"N"'),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}\b", "IP"),
    (r"\b(\d+):3[0-2]\d{3}/(TCP|UDP|SCTP)\b", r"\1:NODEPORT/\2"),
    (r"\b\d+[smhdy](\d+[smh])?( ago)?\b", "AGE"),
    # Chapters 03-05, where learners write manifests: %%writefile says Overwriting from the second run on.
    (r"(?m)^Overwriting (\S+)$", r"Writing \1"),
    (r"[ \t]{2,}", " "),  # column widths follow the longest (volatile) value
]


def sanitize(text: str) -> str:
    """The text with every volatile value replaced by its fixed word."""
    for pattern, replacement in PATTERNS:
        text = re.sub(pattern, replacement, text)
    return text


def nbval_sanitize_file() -> str:
    """The patterns as an nbval `--sanitize-with` file."""
    sections = [f"[volatile{i}]\nregex: {pattern}\nreplace: {replacement}\n"
                for i, (pattern, replacement) in enumerate(PATTERNS, 1)]
    return "\n".join(sections)
