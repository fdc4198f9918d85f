import pytest

from sandbox.machinery import errors, labels

KEY_ERROR = ("unable to parse requirement: <nil>: Invalid value: \"app:web\": name part must consist of "
             "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
             "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
             "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


@pytest.mark.parametrize("text,labels_,expected", [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "api"}, False),
    ("app!=web", {}, True),
    ("app!=web", {"app": "web"}, False),
    ("tier in (a, b),!canary", {"tier": "b"}, True),
    ("tier in (a,b),!canary", {"tier": "b", "canary": "1"}, False),
    ("tier notin (a)", {}, True),
    ("app", {"app": ""}, True),
    ("!app", {"app": ""}, False),
    ("n>3", {"n": "4"}, True),
    ("n<3", {"n": "4"}, False),
    ("n>3", {"n": "x"}, False),
    ("", {"any": "thing"}, True),
    ("a=", {"a": ""}, True),
])
def test_selector_matching(text, labels_, expected):
    assert labels.parse(text).matches(labels_) is expected


@pytest.mark.parametrize("text,message", [
    ("app:web", KEY_ERROR),
    ("a in b", "unable to parse requirement: found 'b' expected: '('"),
    ("a=b c", "found 'c', expected: ',' or 'end of string'"),
    ("x,", "found '', expected: identifier after ','"),
    ("a<x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value "
            "must be an integer"),
    ("a=(", "unable to parse requirement: found '(', expected: identifier"),
])
def test_parse_errors_are_bad_requests_with_the_parser_wording(text, message):
    with pytest.raises(errors.StatusError) as caught:
        labels.parse(text)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (400, "BadRequest", message)


def test_label_selector_objects():
    spec = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In",
                                                                  "values": ["b", "a"]}]}
    selector = labels.from_label_selector(spec)
    assert selector.matches({"app": "web", "tier": "a"})
    assert not selector.matches({"app": "web"})
    assert labels.format_label_selector(spec) == "app=web,tier in (a,b)"
    assert labels.from_label_selector({}).empty and labels.from_label_selector({}).matches({})
    assert not labels.from_label_selector(None).matches({})
    assert labels.format_label_selector(None) == "<none>"
    with pytest.raises(errors.StatusError):
        labels.from_label_selector({"matchExpressions": [{"key": "a", "operator": "Near"}]})


def test_validate_labels_reports_each_problem_at_the_map():
    causes = labels.validate_labels({"ok": "fine", "bad key": "v", "k": "-bad-"}, "metadata.labels")
    assert [c.field for c in causes] == ["metadata.labels", "metadata.labels"]
    assert causes[0].message.startswith('Invalid value: "bad key": name part must consist of')
    assert causes[1].message.startswith('Invalid value: "-bad-": a valid label must be an empty string')
