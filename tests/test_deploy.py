"""The deployment files, checked offline: the image, compose.yaml and the Kubernetes manifests.

No container runtime runs here, so the suite checks what can be checked without one: the manifests against the
Kubernetes schemas (kubernetes-validate, strict), that every command the image, compose and Kubernetes run is a real
``manage.py`` command with real options, and that every ``SBOR_*`` variable they set is a real setting of a valid type.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import msgspec
import pytest
import yaml
from click.testing import CliRunner

from core import cli
from core.settings import NOT_SETTINGS, PLUGIN_ENV_PREFIX, env_overrides, load

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
# The oldest Kubernetes still supported by its vendors and the newest schemas shipped with kubernetes-validate.
K8S_VERSIONS = ["1.30", kubernetes_validate.latest_version()]


# ---------------------------------------------------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------------------------------------------------

def k8s_docs() -> list[dict[str, Any]]:
    return [d for p in MANIFESTS for d in yaml.safe_load_all(p.read_text()) if d]


def k8s_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in k8s_docs() if d["kind"] == kind]


def k8s_one(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in k8s_kind(kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


_VAR = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation: ``${X}``, ``${X:-default}``, ``${X:?error}``, ``$$``."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m["name"], m["op"], m["arg"]
        value = env.get(name)
        if op in (":-", "-"):
            return value if value else arg
        if op in (":?", "?"):
            assert value, f"compose.yaml needs {name}: {arg}"
            return value
        return value or ""

    return _VAR.sub(sub, text)


# What an operator puts in .env (deploy/compose.env.example names them).
COMPOSE_ENV = {"POSTGRES_PASSWORD": "pg-secret", "JWT_SECRET": "j" * 48}


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    data = yaml.safe_load(interpolate((ROOT / "compose.yaml").read_text(), {**COMPOSE_ENV, **(env or {})}))
    assert isinstance(data, dict)
    return data


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    lines: list[tuple[str, str]] = []
    buf = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        buf += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            word, _, rest = buf.partition(" ")
            lines.append((word.upper(), rest.strip()))
            buf = ""
    return lines


def runtime_stage() -> list[tuple[str, str]]:
    instructions = dockerfile()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def env_of_container(container: dict[str, Any]) -> dict[str, str]:
    """A container's variables from its ConfigMap/Secret references and its own ``env``."""
    env: dict[str, str] = {}
    for ref in container.get("envFrom", []):
        if "configMapRef" in ref:
            data = k8s_one("ConfigMap", ref["configMapRef"]["name"])["data"]
            env.update({k: v for k, v in data.items() if k.startswith("SBOR_")})
        if "secretRef" in ref:
            env.update(k8s_one("Secret", ref["secretRef"]["name"])["stringData"])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


def pod_containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


# ---------------------------------------------------------------------------------------------------------------------
# Commands and settings
# ---------------------------------------------------------------------------------------------------------------------

def assert_cli_command(args: list[str]) -> None:
    """``args`` (after ``manage.py``/``sbor``) name a real command with real options: ``<args> --help`` exits 0."""
    result = CliRunner().invoke(cli.main, [*args, "--help"])
    assert result.exit_code == 0, f"`manage.py {' '.join(args)}` is not a valid command: {result.output}"
    assert "Usage:" in result.output


def sbor_command_lines(shell: str) -> list[list[str]]:
    """The ``sbor …`` invocations inside a shell command line (``until sbor migrate …; do …; done``)."""
    lexer = shlex.shlex(shell, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    out: list[list[str]] = []
    words: list[str] = []
    for token in [*lexer, ";"]:
        if set(token) <= set(";|&()"):
            while words and words[0] in ("until", "while", "do", "then", "if", "!"):
                words.pop(0)
            if words and words[0] == "sbor":
                out.append(words[1:])
            words = []
        else:
            words.append(token)
    return out


def assert_settings(env: dict[str, str], where: str) -> None:
    """Every ``SBOR_*`` variable is a core setting or a plugin setting, and its value has the setting's type."""
    core = {k: v for k, v in env.items() if k.startswith("SBOR_") and not k.startswith(PLUGIN_ENV_PREFIX)}
    unknown = sorted(set(core) & NOT_SETTINGS)
    assert not unknown, f"{where}: {unknown} are not settings"
    env_overrides(core)  # raises ConfigError naming an unknown variable
    settings = load({**core, "SBOR_AUTH_JWT_KEYS": core.get("SBOR_AUTH_JWT_KEYS", '{"k": "test"}')})
    assert settings.env == "production", f"{where}: SBOR_ENV must be production"
    by_plugin: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if name.startswith(PLUGIN_ENV_PREFIX):
            plugin, _, key = name[len(PLUGIN_ENV_PREFIX):].partition("__")
            by_plugin.setdefault(plugin.lower(), {})[key.lower()] = value
    for plugin, raw in by_plugin.items():
        schema = __import__(f"plugins.{plugin}", fromlist=["manifest"]).manifest.settings
        assert schema is not None, f"{where}: plugin {plugin} takes no settings"
        fields = {f.name for f in msgspec.structs.fields(schema)}
        assert set(raw) <= fields, f"{where}: {plugin} has no setting {sorted(set(raw) - fields)}"
        msgspec.convert(raw, schema, strict=False)  # the values have the settings' types


# ---------------------------------------------------------------------------------------------------------------------
# The image
# ---------------------------------------------------------------------------------------------------------------------

def test_image_is_multi_stage_non_root_with_a_health_check() -> None:
    instructions = dockerfile()
    assert sum(1 for word, _ in instructions if word == "FROM") >= 2, "multi-stage: build, then a slim runtime"
    runtime = runtime_stage()
    assert any(word == "COPY" and rest.startswith("--from=build") for word, rest in runtime)
    users = [rest for word, rest in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the service runs as a non-root user"
    checks = [rest for word, rest in runtime if word == "HEALTHCHECK"]
    assert len(checks) == 1 and "/health" in checks[0]
    assert not any(word == "RUN" and "pip install" in rest for word, rest in runtime), "no build steps at run time"


def test_image_entry_point_is_manage_py() -> None:
    """``sbor`` is the console script for ``core.cli``: what ``manage.py`` runs (``python -m core.cli``)."""
    runtime = runtime_stage()
    entry = json.loads([rest for word, rest in runtime if word == "ENTRYPOINT"][-1])
    cmd = json.loads([rest for word, rest in runtime if word == "CMD"][-1])
    assert entry == ["sbor"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["sbor"] == "core.cli:entry"
    assert '"-m", "core.cli"' in (ROOT / "manage.py").read_text()
    assert cmd == ["run", "--no-worker"]
    assert_cli_command(cmd)


def test_image_environment_names_real_settings() -> None:
    env: dict[str, str] = {}
    for word, rest in runtime_stage():
        if word == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    assert env["SBOR_HTTP_HOST"] == "0.0.0.0", "the API listens beyond the container's loopback"
    assert_settings({k: v for k, v in env.items() if k.startswith("SBOR_")}, "Dockerfile")


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", "var", ".git", "config/local.toml"} <= ignored


# ---------------------------------------------------------------------------------------------------------------------
# compose.yaml
# ---------------------------------------------------------------------------------------------------------------------

def test_compose_runs_postgres_redis_two_apis_a_worker_and_migrations_first() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "worker"} <= set(services)
    apis = [name for name, s in services.items() if s.get("command") == ["run", "--no-worker"]]
    assert len(apis) == 2
    assert services["migrate"]["command"] == ["migrate"]
    assert services["worker"]["command"] == ["worker"]
    for name in [*apis, "worker"]:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    for name in ("migrate", *apis, "worker"):
        assert services[name]["image"] == services["migrate"]["image"], "one image for every Sbor service"
    assert "--appendonly" in services["redis"]["command"], "jobs survive a Redis restart"
    assert services["redis"]["command"][services["redis"]["command"].index("--maxmemory-policy") + 1] == "noeviction"


def test_compose_optional_profiles() -> None:
    services = compose()["services"]
    profiles = {p for s in services.values() for p in s.get("profiles", [])}
    assert {"typesense", "s3", "rabbitmq"} <= profiles
    for name, s in services.items():
        if name in ("postgres", "redis", "migrate", "worker", "proxy") or s.get("command") == ["run", "--no-worker"]:
            assert "profiles" not in s, f"{name} starts by default"


def test_compose_requires_its_secrets() -> None:
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        compose({"POSTGRES_PASSWORD": ""})
    with pytest.raises(AssertionError, match="JWT_SECRET"):
        compose({"JWT_SECRET": ""})


def test_compose_commands_are_manage_py_commands() -> None:
    services = compose()["services"]
    ours = [s for s in services.values() if s.get("image") == services["migrate"]["image"]]
    assert len(ours) == 4
    for s in ours:
        assert_cli_command(s["command"])


@pytest.mark.parametrize("variant", [
    {},
    {"SEARCH_BACKEND": "typesense", "TYPESENSE_URLS": "http://typesense:8108", "TYPESENSE_API_KEY": "k",
     "MEDIA_BACKEND": "s3", "S3_ENDPOINT": "http://seaweedfs:8333", "JOBS_BROKER": "rabbitmq"},
], ids=["default", "all-profiles"])
def test_compose_environment_names_real_settings(variant: dict[str, str]) -> None:
    services = compose(variant)["services"]
    # A variable without a value (None) is passed through from the shell by compose; there is none here.
    env = {k: str(v) for k, v in services["migrate"]["environment"].items() if v is not None}
    assert_settings(env, f"compose.yaml {variant}")
    assert json.loads(env["SBOR_AUTH_JWT_KEYS"]) == {"k1": COMPOSE_ENV["JWT_SECRET"]}


def test_compose_env_example_names_every_variable() -> None:
    text = (ROOT / "compose.yaml").read_text()
    needed = {m["name"] for m in _VAR.finditer(text) if m["name"]}
    example = ROOT / "deploy" / "compose.env.example"
    named = {line.split("=", 1)[0].lstrip("# ").strip() for line in example.read_text().splitlines() if "=" in line}
    assert needed <= named, f"not in {example.name}: {sorted(needed - named)}"


# ---------------------------------------------------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_kubernetes(path: Path, version: str) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, version, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in MANIFESTS)
    assert [i["name"] for i in kustomization["images"]] == ["sbor"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_build_is_valid() -> None:
    out = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert len(docs) == len(k8s_docs())
    for doc in docs:
        assert doc["metadata"].get("namespace", "sbor") == "sbor"
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_api_deployment_probes_health_and_rolls_without_downtime() -> None:
    api = k8s_one("Deployment", "sbor-api")
    container = next(c for c in api["spec"]["template"]["spec"]["containers"] if c["name"] == "api")
    assert container["args"] == ["run", "--no-worker"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health", probe
    port = container["ports"][0]
    assert port["containerPort"] == int(env_of_container(container)["SBOR_HTTP_PORT"])
    assert container["livenessProbe"]["failureThreshold"] * container["livenessProbe"]["periodSeconds"] >= 30, \
        "a dependency outage (503) must not restart every pod at once"
    assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    security = api["spec"]["template"]["spec"]["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] != 0


def test_hpa_and_pdbs_point_at_the_pods() -> None:
    hpa = k8s_one("HorizontalPodAutoscaler", "sbor-api")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "sbor-api")
    assert hpa["spec"]["minReplicas"] >= 2
    labels = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in k8s_kind("Deployment")}
    covered = set()
    for pdb in k8s_kind("PodDisruptionBudget"):
        wanted = pdb["spec"]["selector"]["matchLabels"]
        matching = [name for name, have in labels.items() if wanted.items() <= have.items()]
        assert len(matching) == 1, f"{pdb['metadata']['name']} selects {matching}"
        covered.update(matching)
    assert covered == {"sbor-api", "sbor-worker"}
    service = k8s_one("Service", "sbor-api")
    assert service["spec"]["selector"].items() <= labels["sbor-api"].items()


def test_migration_job_runs_before_the_new_version_serves() -> None:
    job = k8s_one("Job", "sbor-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    for name in ("sbor-api", "sbor-worker"):
        spec = k8s_one("Deployment", name)["spec"]["template"]["spec"]
        waits = [c for c in spec.get("initContainers", []) if "migrate --dry-run" in " ".join(c.get("command", []))]
        assert waits, f"{name} starts only once the migrations are applied"
    # What the init container waits for is what `migrate --dry-run` prints on an up-to-date database.
    assert "nothing to do" in Path(cli.__file__).read_text()


def test_worker_deployment_runs_the_worker() -> None:
    worker = k8s_one("Deployment", "sbor-worker")
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]


def test_every_kubernetes_command_is_a_manage_py_command() -> None:
    images = set()
    for doc in k8s_docs():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        for c in pod_containers(doc):
            images.add(c["image"])
            if c.get("args"):
                assert_cli_command(c["args"])
            for invocation in sbor_command_lines(" ".join(c.get("command", [])[2:])):
                assert_cli_command(invocation)
    assert images == {"sbor"}, "one image (set by kustomize's images:) for API, worker and migrations"


def test_kubernetes_settings_are_real_and_secrets_live_in_secrets() -> None:
    secret_keys = set(k8s_one("Secret", "sbor-secrets")["stringData"])
    config_keys = set(k8s_one("ConfigMap", "sbor-config")["data"])
    for must_be_secret in ("SBOR_DATABASE_URL", "SBOR_REDIS_URL", "SBOR_AUTH_JWT_KEYS"):
        assert must_be_secret in secret_keys and must_be_secret not in config_keys
    assert not any(k.endswith(("_KEY", "_PASSWORD", "_SECRET", "_KEYS")) for k in config_keys), \
        "secrets belong in the Secret"
    for doc in k8s_docs():
        if doc["kind"] in ("Deployment", "Job"):
            for c in pod_containers(doc):
                assert_settings(env_of_container(c), f"{doc['kind']}/{doc['metadata']['name']}")
    plugins_file = k8s_one("ConfigMap", "sbor-config")["data"]["plugins.toml"]
    assert tomllib.loads(plugins_file)["enabled"]


def test_the_checks_above_catch_mistakes() -> None:
    """The helpers refuse what they must: a misspelt setting, a wrong type, an unknown command or option."""
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="brokr"):
        assert_settings({"SBOR_ENV": "production", "SBOR_JOBS_BROKR": "redis"}, "test")
    with pytest.raises(ConfigError):
        assert_settings({"SBOR_ENV": "production", "SBOR_JOBS_BROKER": "kafka"}, "test")
    with pytest.raises(AssertionError, match="no setting"):
        assert_settings({"SBOR_ENV": "production", "SBOR_PLUGINS__MEDIA__BUCKET": "x"}, "test")
    with pytest.raises(AssertionError):
        assert_cli_command(["serve"])
    with pytest.raises(AssertionError):
        assert_cli_command(["run", "--no-workers"])
    assert sbor_command_lines("until sbor migrate --dry-run | grep -q 'nothing to do'; do sleep 5; done") == [
        ["migrate", "--dry-run"]]
