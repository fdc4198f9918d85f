"""Resource types by plural, for registry tests."""
from sandbox.machinery import resources


def rt(plural, group="", version=None):
    version = version or resources.preferred_version(group)
    return resources.lookup(group, version, plural)
