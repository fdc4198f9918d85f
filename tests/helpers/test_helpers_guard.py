"""The context guard: a production context that happens to be current is never used implicitly."""
import pytest

from helpers import guard
from helpers.guard import ContextRefused, check, choose

CONTEXTS = ["prod-eu-west", "kind-workshop", "workshop-aks", "workshop-sandbox"]


def test_default_is_the_sandbox_even_when_production_is_current():
    choice = check(choose(env={}), CONTEXTS, current="prod-eu-west")
    assert (choice.cluster, choice.context) == ("sandbox", "workshop-sandbox")


def test_current_production_context_is_refused_with_how_to_choose():
    with pytest.raises(ContextRefused) as refused:
        check(choose("current", env={}), CONTEXTS, current="prod-eu-west", kubeconfig="/home/me/.kube/config")
    message = str(refused.value)
    assert "prod-eu-west" in message and "never use a context just because it is current" in message
    assert "connect(context='prod-eu-west')" in message and "connect('kind')" in message


@pytest.mark.parametrize("current", ["workshop-sandbox", "kind-workshop"])
def test_current_workshop_context_is_accepted(current):
    assert check(choose("current", env={}), CONTEXTS, current=current).context == current


def test_kind_is_accepted_and_its_absence_explained():
    assert check(choose("kind", env={}), CONTEXTS, current="prod-eu-west").context == "kind-workshop"
    with pytest.raises(ContextRefused, match="workshop up --kind"):
        check(choose("kind", env={}), ["prod-eu-west"], current="prod-eu-west")


def test_naming_a_context_is_the_explicit_override():
    for choice in (choose(context="prod-eu-west", env={}), choose("prod-eu-west", env={}),
                   choose(env={"WORKSHOP_CONTEXT": "prod-eu-west"})):
        accepted = check(choice, CONTEXTS, current="kind-workshop")
        assert (accepted.cluster, accepted.context, accepted.explicit) == ("context", "prod-eu-west", True)


def test_argument_wins_over_environment_and_environment_over_default():
    assert choose("kind", env={"WORKSHOP_CONTEXT": "workshop-aks"}).context == "kind-workshop"
    assert choose(env={"WORKSHOP_CONTEXT": "workshop-aks"}).context == "workshop-aks"
    assert choose(env={"WORKSHOP_CLUSTER": "kind"}).cluster == "kind"
    assert choose(env={"WORKSHOP_CONTEXT": "workshop-sandbox"}).cluster == "sandbox"


def test_unknown_context_lists_the_known_ones():
    with pytest.raises(ContextRefused, match="no context 'staging'.*kind-workshop"):
        check(choose(context="staging", env={}), CONTEXTS, current="prod-eu-west")


def test_an_inferred_non_workshop_context_is_refused():
    with pytest.raises(ContextRefused, match="not named explicitly"):
        check(guard.Choice("context", "prod-eu-west", False), CONTEXTS, current="prod-eu-west")


def test_cluster_and_context_together_are_ambiguous():
    with pytest.raises(guard.WorkshopError, match="not both"):
        choose("kind", "prod-eu-west", env={})
