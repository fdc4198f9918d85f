"""Offline checks of the image recipe and the docs (Docker itself is not available where the tests run)."""
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
IMAGE_PACKAGES = {"aiohttp", "redis"}  # what the Dockerfile installs


def dockerfile() -> str:
    return (APP / "Dockerfile").read_text()


def test_the_image_is_slim_python_311_and_never_root():
    text = dockerfile()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1].split(":")[0].isdigit() and int(user[-1].split(":")[0]) > 0
    assert re.search(r'^CMD \["python", "-m", "app\.api"\]$', text, re.M)


def test_the_image_installs_exactly_the_pinned_packages_the_app_imports():
    pins = {line.split("==")[0].lower(): line for line in (ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    grep = re.search(r"grep -E '\^\(([^)]*)\)==' /tmp/requirements.txt", dockerfile())
    assert grep, "the Dockerfile should take its pins from requirements.txt"
    assert set(grep.group(1).split("|")) == IMAGE_PACKAGES <= set(pins)
    imported = set()
    for path in APP.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"app", "__future__"}
    assert third_party == IMAGE_PACKAGES


def test_the_build_context_keeps_what_the_dockerfile_copies():
    ignore = (APP / "Dockerfile.dockerignore").read_text().splitlines()
    for source in re.findall(r"^COPY (\S+) ", dockerfile(), re.M):
        assert (ROOT / source).exists(), source
        assert f"!{source}" in ignore, f"{source} is excluded from the build context"


def test_every_environment_variable_is_documented():
    source = (APP / "config.py").read_text()
    variables = set(re.findall(r'env\.\w+\("([A-Z_]+)"', source)) | set(re.findall(r'text\("([A-Z_]+)"', source))
    assert {"ORDERS_PORT", "VALIDATOR_URL", "QUEUE_REDIS_URL", "CACHE_REDIS_URL", "QUEUE_NAME", "ORDER_LIMIT",
            "WORKER_DELAY_SECONDS", "LOG_LEVEL"} <= variables
    readme = (APP / "README.md").read_text()
    assert not [name for name in variables if f"| `{name}` |" not in readme]
