"""Checks that keep the documentation honest: the modules, the Registry contract, the `python -m sandbox` flags
and the `workshop` commands the docs name must be the ones the code has, and their links must lead somewhere.
Everything is read from the files and from the real `--help` output; nothing here starts a sandbox."""
from __future__ import annotations

import argparse
import ast
import functools
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "sandbox"
ARCHITECTURE = SANDBOX / "ARCHITECTURE.md"
SANDBOX_README = SANDBOX / "README.md"
GUIDE = ROOT / "docs" / "instructor-guide.md"
OUR_DOCS = (ARCHITECTURE, SANDBOX_README, GUIDE)
SKIP_DIRS = {".venv", "venv", "node_modules", ".git", ".pytest_cache", ".ipynb_checkpoints", "build", "dist"}
DIFFERENCES = "Known differences from real Kubernetes"


def fenced_blocks(text: str, language: str | None = None) -> list[str]:
    """The bodies of ``` blocks (only those opened with ```<language> when a language is given)."""
    blocks = re.findall(r"^[ \t]*```([\w-]*)\n(.*?)^[ \t]*```", text, re.MULTILINE | re.DOTALL)  # also in lists
    return [body for lang, body in blocks if language is None or lang == language]


def section(text: str, heading: str) -> str:
    """The text under the `## ...` heading that starts with `heading`, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(heading)}.*?$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no '## {heading}' section"
    return match.group(1)


# ARCHITECTURE.md: the module list ---------------------------------------------------------------------------------
def architecture_paths() -> set[str]:
    """Every path the module list names: `sandbox/x/` starts a directory, indented names live in it."""
    text = ARCHITECTURE.read_text()
    block = fenced_blocks(section(text, "Modules"))[0]
    named, directory = set(), ""
    for line in block.splitlines():
        names = []
        for word in line.split():  # the names come first, then the description
            if not word.endswith((".py", "/")):
                break
            names.append(word)
        if not names:
            continue  # a blank line or the continuation of a long description
        if not line.startswith(" "):
            path = names[0]
            assert path.startswith("sandbox/"), f"top-level entry not under sandbox/: {line!r}"
            named.add(path.rstrip("/"))
            directory = path if path.endswith("/") else directory
            continue
        named |= {(directory + name).rstrip("/") for name in names}
    # paths named in the prose too
    named |= {p.rstrip("/") for p in re.findall(r"\bsandbox/[\w/]+(?:\.py|/)", text)}
    return named


def sandbox_modules() -> set[str]:
    """Every module (but __init__.py) and every package of sandbox/, relative to the repository."""
    found = set()
    for path in SANDBOX.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        relative = path.relative_to(ROOT)
        found.add(str(relative.parent))
        if path.name != "__init__.py":
            found.add(str(relative))
    found.discard("sandbox")  # the package itself
    return found


def test_architecture_names_only_modules_that_exist():
    missing = sorted(p for p in architecture_paths() if not (ROOT / p).exists())
    assert not missing, f"sandbox/ARCHITECTURE.md names modules that do not exist: {missing}"


def test_architecture_names_every_sandbox_module():
    unnamed = sorted(sandbox_modules() - architecture_paths())
    assert not unnamed, f"modules missing from sandbox/ARCHITECTURE.md's module list: {unnamed}"


# ARCHITECTURE.md: the Registry contract ---------------------------------------------------------------------------
def contract_entries() -> dict[str, str]:
    """name -> parameter text of each `registry.<name>(...)` / `Registry(...)` line of the contract block."""
    block = fenced_blocks(section(ARCHITECTURE.read_text(), "Registry"), "python")[0]
    statements, current = [], ""
    for line in block.splitlines():
        code = line.split("#", 1)[0].rstrip()
        if not code.strip():
            continue
        if line.startswith((" ", "\t")) and current:
            current += " " + code.strip()
        else:
            if current:
                statements.append(current)
            current = code.strip()
    statements.append(current)
    entries = {}
    for statement in statements:
        match = re.match(r"(?:registry = )?(registry\.(\w+)|Registry)(?:\((.*)\))?", statement)
        assert match, f"cannot read contract line {statement!r}"
        name = match.group(2) or "__init__"
        entries[name] = match.group(3)  # None: an attribute
    return entries


def parsed_parameters(text: str) -> list[tuple[str, str, object]]:
    """[(name, kind, default)] of a parameter list written as Python, e.g. `rt, *, dry_run=False, **options`."""
    args = ast.parse(f"def f({text}): pass").body[0].args
    out = []
    positional = args.posonlyargs + args.args
    defaults = [inspect.Parameter.empty] * (len(positional) - len(args.defaults)) + [
        ast.literal_eval(d) for d in args.defaults]
    out += [(a.arg, "positional", d) for a, d in zip(positional, defaults)]
    if args.vararg:
        out.append((args.vararg.arg, "var_positional", inspect.Parameter.empty))
    out += [(a.arg, "keyword_only", inspect.Parameter.empty if d is None else ast.literal_eval(d))
            for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        out.append((args.kwarg.arg, "var_keyword", inspect.Parameter.empty))
    return out


def real_parameters(function) -> list[tuple[str, str, object]]:
    kinds = {inspect.Parameter.POSITIONAL_ONLY: "positional", inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
             inspect.Parameter.VAR_POSITIONAL: "var_positional", inspect.Parameter.KEYWORD_ONLY: "keyword_only",
             inspect.Parameter.VAR_KEYWORD: "var_keyword"}
    params = list(inspect.signature(function).parameters.values())[1:]  # without self
    return [(p.name, kinds[p.kind], p.default) for p in params if not p.name.startswith("_")]


def test_registry_contract_matches_the_code():
    from sandbox.registry.rest import Registry
    from sandbox.storage.store import Store

    entries = contract_entries()
    assert {"__init__", "get", "list", "create", "update", "patch", "delete", "watch", "subscribe"} <= set(entries)
    registry = Registry(Store())
    for name, params in entries.items():
        assert hasattr(registry, name), f"ARCHITECTURE.md names Registry.{name}, which does not exist"
        if params is None:
            continue  # an attribute
        documented = parsed_parameters(params)
        real = real_parameters(getattr(Registry, name))
        assert documented == real, f"Registry.{name}: documented {documented}, code has {real}"


def test_registry_public_methods_are_all_documented():
    from sandbox.registry.rest import Registry

    public = {n for n, v in inspect.getmembers(Registry, inspect.isfunction) if not n.startswith("_")}
    undocumented = sorted(public - set(contract_entries()))
    assert not undocumented, f"Registry methods missing from sandbox/ARCHITECTURE.md's contract: {undocumented}"


# sandbox/README.md: python -m sandbox -----------------------------------------------------------------------------
@functools.cache
def help_text(*command: str) -> str:
    """`python -m <module> [subcommand] --help`; the workshop command's is read from its own parser in-process
    (the same text, without paying an interpreter start per subcommand)."""
    if command[0] == "helpers.cli":
        from helpers import cli

        parser = cli.parser()
        for word in command[1:]:
            parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[word]
        return parser.format_help()
    done = subprocess.run([sys.executable, "-m", *command, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def help_flags(*command: str) -> set[str]:
    options = help_text(*command).partition("options:")[2]  # not the usage line (`python -m ...`)
    return set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", options)) - {"-h", "--help"}


def readme_sandbox_flags() -> set[str]:
    """Flags on lines that run `python -m sandbox`, and those in the first column of a flags table."""
    flags = set()
    for line in SANDBOX_README.read_text().splitlines():
        if "python -m sandbox" in line:
            flags |= set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", line))
        cell = re.match(r"\|\s*(`-[^|]*)\|", line)
        if cell:
            flags |= set(re.findall(r"`(--?[a-z][\w-]*)", cell.group(1)))
    return flags


def test_sandbox_readme_flags_exist():
    documented = readme_sandbox_flags()
    assert {"--port", "--kubeconfig", "--time-scale", "--state"} <= documented
    unknown = sorted(documented - help_flags("sandbox"))
    assert not unknown, f"sandbox/README.md names `python -m sandbox` flags that --help does not list: {unknown}"


def test_sandbox_readme_documents_every_flag():
    undocumented = sorted(help_flags("sandbox") - readme_sandbox_flags())
    assert not undocumented, f"`python -m sandbox` flags missing from sandbox/README.md: {undocumented}"


# every doc: the workshop command ------------------------------------------------------------------------------------
def markdown_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md") if not SKIP_DIRS & set(p.relative_to(ROOT).parts))


def code_texts(text: str) -> list[str]:
    """Lines of fenced blocks and inline code spans: where commands are written."""
    texts = [line for block in fenced_blocks(text) for line in block.splitlines()]
    prose = re.sub(r"^[ \t]*```.*?^[ \t]*```", "", text, flags=re.MULTILINE | re.DOTALL)
    texts += re.findall(r"`([^`\n]+)`", prose)
    return texts


def workshop_invocations(text: str) -> list[list[str]]:
    """The argument lists of every `workshop ...` command written in code (comments dropped)."""
    found = []
    for code in code_texts(text):
        code = code.split(" #", 1)[0]
        for command in re.split(r"&&|\|\||[;|]|\$\(", code):
            words = command.replace("[", " ").replace("]", " ").split()
            while words and (words[0] == "$" or re.fullmatch(r"[A-Z_]+=\S*", words[0])):
                words = words[1:]
            if len(words) > 1 and words[0] == "workshop":
                found.append(words[1:])
    return found


def subcommands() -> set[str]:
    text = help_text("helpers.cli")
    listed = re.search(r"positional arguments:\n(.*?)\n\n", text, re.DOTALL).group(1)
    return set(re.findall(r"^ {4}(\w[\w-]*)", listed, re.MULTILINE))


def doc_commands() -> list[tuple[str, str, list[str]]]:
    """(file, subcommand, flags) of every workshop command in the repository's markdown."""
    out = []
    for path in markdown_files():
        for words in workshop_invocations(path.read_text()):
            if words[0].startswith("-"):
                out.append((str(path.relative_to(ROOT)), "", words))
                continue
            flags = [w.split("=", 1)[0] for w in words[1:] if w.startswith("--")]
            for sub in words[0].split("/"):  # `workshop up/down --kind`
                out.append((str(path.relative_to(ROOT)), sub, flags))
    return out


def test_docs_name_workshop_commands():
    guide = [c for c in doc_commands() if c[0] == str(GUIDE.relative_to(ROOT))]
    assert {"check", "reset", "progress"} <= {sub for _, sub, _ in guide}


def test_every_workshop_subcommand_in_the_docs_exists():
    known = subcommands()
    assert {"sandbox", "check", "reset", "progress"} <= known
    unknown = sorted({(f, sub) for f, sub, _ in doc_commands() if sub and sub not in known})
    assert not unknown, f"docs name workshop subcommands that `workshop --help` does not list: {unknown}"


def test_every_workshop_flag_in_the_docs_exists():
    known = subcommands()
    unknown = sorted({(f, sub, flag) for f, sub, flags in doc_commands() if sub in known for flag in flags
                      if flag not in help_flags("helpers.cli", sub)})
    assert not unknown, f"docs name workshop flags that `workshop <command> --help` does not list: {unknown}"


# links and the one list of differences ----------------------------------------------------------------------------
def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.*)$", text, re.MULTILINE)}


@pytest.mark.parametrize("doc", OUR_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_lead_somewhere(doc: Path):
    text = doc.read_text()
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # an external URL
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path.read_text()):
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)} has links that lead nowhere: {broken}"


def test_differences_are_listed_in_one_place():
    headings = [p for p in markdown_files() if re.search(rf"^#+ {DIFFERENCES}", p.read_text(), re.MULTILINE)]
    assert headings == [SANDBOX_README], f"'{DIFFERENCES}' should be one section of sandbox/README.md: {headings}"
    assert "sandbox/README.md" in GUIDE.read_text()
    assert "sandbox/README.md" in (ROOT / "README.md").read_text()
