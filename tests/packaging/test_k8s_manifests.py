"""The Kubernetes manifests an operator applies (deploy/k8s): the base and the example overlay, built as `kubectl
apply -k` builds them, every manifest valid against the Kubernetes schema (kubernetes-validate, strict: a misspelt
field is an error), and what matters to the people on call true of them: enough serve replicas that a deploy or a
node drain never leaves the chat without one, probes on the port serve listens on, time to drain on a stop, only
real settings, no secret outside the Secret, and a policy and alerting file that pass `opsbot check-config`.

No kustomize binary is needed: `build` applies what the kustomizations use (resources, namespace, replicas,
images, configMapGenerator and secretGenerator with their content hash) and refuses any other key, so a new
feature in a kustomization fails here until it is applied here too. Where kubectl is installed, its own build
(`kubectl kustomize`) must give the same manifests."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from core.settings import Settings
from policies.check import review_config
from tests.packaging.test_layout import CHECKOUT

K8S = CHECKOUT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example"
# The oldest Kubernetes still widely run, and the newest schema kubernetes-validate ships.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
DRAIN_SECONDS = 5 + 5  # opsbot serve after SIGTERM: open requests, then queued replies (docs/serve.md)
POD_NAME = "opsbot-serve-7d9f8c6b5-x2x4z"

Doc = dict[str, Any]

# --- A small kustomize: what deploy/k8s's kustomizations use, no more ---------------------------------------------

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "replicas", "images", "configMapGenerator",
             "secretGenerator"}  # fmt: skip
GENERATOR_KEYS = {"name", "behavior", "envs", "files"}
CLUSTER_SCOPED = {"Namespace"}


def build(folder: Path) -> list[Doc]:
    """The manifests `kubectl kustomize folder` prints, in no particular order."""
    docs, generated = _build(folder)
    return _with_hashed_names(docs, generated)


def _build(folder: Path) -> tuple[list[Doc], set[tuple[str, str]]]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
    assert set(kustomization) <= SUPPORTED, f"{folder}: this test does not apply {set(kustomization) - SUPPORTED}"
    docs: list[Doc] = []
    generated: set[tuple[str, str]] = set()
    for entry in kustomization.get("resources", []):
        path = folder / entry
        if path.is_dir():
            more, made = _build(path)
            docs += more
            generated |= made
        else:
            docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for generator in kustomization.get(key, []):
            assert set(generator) <= GENERATOR_KEYS, f"{folder}: this test does not apply {set(generator)}"
            _generate(docs, generated, kind, generator, folder)
    namespace = kustomization.get("namespace")
    for doc in docs:
        if namespace and doc["kind"] not in CLUSTER_SCOPED:
            doc["metadata"]["namespace"] = namespace
    for change in kustomization.get("replicas", []):
        for doc in _named(docs, "Deployment", change["name"]):
            doc["spec"]["replicas"] = change["count"]
    for image in kustomization.get("images", []):
        for container in (c for doc in docs for c in containers(doc)):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
    return docs, generated


def _generate(docs: list[Doc], generated: set[tuple[str, str]], kind: str, generator: Doc, folder: Path) -> None:
    data: dict[str, str] = {}
    for env_file in generator.get("envs", []):
        data.update(read_env_file(folder / env_file))
    for entry in generator.get("files", []):
        key, _, path = entry.rpartition("=")
        data[key or Path(path).name] = (folder / path).read_text(encoding="utf-8")
    made: Doc = {"apiVersion": "v1", "kind": kind, "metadata": {"name": generator["name"]}}
    if kind == "Secret":
        made["type"] = "Opaque"
        data = {key: _base64(value) for key, value in data.items()}
    made["data"] = data
    behavior = generator.get("behavior", "create")
    found = _named(docs, kind, generator["name"])
    if behavior == "create":
        assert found == [], f"{kind} {generator['name']} generated twice"
        docs.append(made)
        generated.add((kind, generator["name"]))
        return
    (old,) = found
    if behavior == "merge":
        made["data"] = {**old["data"], **data}
    docs[docs.index(old)] = made


def _base64(value: str) -> str:
    """As kustomize writes a Secret's value: base64 in lines of 70, each ending in a newline once there are two."""
    encoded = base64.b64encode(value.encode()).decode()
    if len(encoded) < 70:
        return encoded
    return "".join(encoded[i : i + 70] + "\n" for i in range(0, len(encoded), 70))


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as kustomize reads them: blank lines and # comments skipped, the value taken as it is."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.lstrip()
        if line and not line.startswith("#"):
            key, equals, value = line.partition("=")
            assert equals, f"{path}: {key} has no '=' (kustomize would take its value from the environment)"
            pairs[key] = value
    return pairs


def _with_hashed_names(docs: list[Doc], generated: set[tuple[str, str]]) -> list[Doc]:
    """kustomize's names for generated ConfigMaps and Secrets (a hash of their content after the name), and every
    reference to them renamed: a changed file or value rolls the pods that read it."""
    names = {}
    for doc in docs:
        key = (doc["kind"], doc["metadata"]["name"])
        if key in generated:
            names[key] = doc["metadata"]["name"] = f"{key[1]}-{_content_hash(doc)}"
    for spec in (doc["spec"]["template"]["spec"] for doc in docs if doc["kind"] == "Deployment"):
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                _rename(volume["configMap"], "name", "ConfigMap", names)
            if "secret" in volume:
                _rename(volume["secret"], "secretName", "Secret", names)
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if field in source:
                        _rename(source[field], "name", kind, names)
            for variable in container.get("env", []):
                for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    if field in variable.get("valueFrom", {}):
                        _rename(variable["valueFrom"][field], "name", kind, names)
    return docs


def _rename(reference: Doc, field: str, kind: str, names: dict[tuple[str, str], str]) -> None:
    reference[field] = names.get((kind, reference[field]), reference[field])


def _content_hash(doc: Doc) -> str:
    """kustomize's (api/hasher): SHA-256 of Go's JSON of kind, data (and a Secret's type), 10 hex digits with some
    letters swapped so the suffix never looks like a word or a number. Its "name" is always empty: kustomize looks
    the name up as one field called "metadata/name", which no manifest has."""
    fields = {"kind": doc["kind"], "name": "", "data": doc["data"]}
    if doc["kind"] == "Secret":
        fields["type"] = doc["type"]
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char in "&<>\u2028\u2029":  # Go's encoding/json escapes these
        text = text.replace(char, f"\\u{ord(char):04x}")
    return hashlib.sha256(text.encode()).hexdigest()[:10].translate(str.maketrans("013ae", "ghkmt"))


def _named(docs: list[Doc], kind: str, name: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]


def containers(doc: Doc) -> list[Doc]:
    if doc["kind"] != "Deployment":
        return []
    return list(doc["spec"]["template"]["spec"]["containers"])


# --- The builds under test ---------------------------------------------------------------------------------------

# Test values for the overlay's secrets.env (git-ignored: a checkout has none), each a valid setting.
SECRETS = {
    "OPSBOT_REDIS_URL": "redis+sentinel://:redis-pw-k8s-test@sentinel-0,sentinel-1:26379,sentinel-2:26379/opsbot/0",
    "OPSBOT_AUDIT_URL": "postgresql://opsbot:pg-pw-k8s-test@postgres:5432/opsbot",
    "OPSBOT_AUDIT_KEY": "audit-key-k8s-test-0123456789abcdef",
    "OPSBOT_SLACK_BOT_TOKEN": "xoxb-k8s-test-bot-token",
    "OPSBOT_SLACK_APP_TOKEN": "xapp-k8s-test-app-token",
    "OPSBOT_SLACK_SIGNING_SECRET": "signing-secret-k8s-test",
    "OPSBOT_TELEGRAM_TOKEN": "",  # left empty, as an operator without Telegram leaves it: unset
    "OPSBOT_TELEGRAM_WEBHOOK_SECRET": "",
    "OPSBOT_ALERT_SOURCES": '{"alertmanager": {"token": "alertmanager-token-k8s-test"}}',
    "OPSBOT_TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "OPSBOT_TWILIO_AUTH_TOKEN": "twilio-token-k8s-test",
    "OPSBOT_TWILIO_FROM": "+15550109999",
}
SECRET_TEXTS = [value for value in SECRETS.values() if value] + ["redis-pw-k8s-test", "pg-pw-k8s-test"]


@pytest.fixture(scope="module")
def k8s_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deploy/k8s with the overlay's secrets.env written as an operator would, from the base's example."""
    copied = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copied, ignore=shutil.ignore_patterns("secrets.env"))
    keys = read_env_file(BASE / "secrets.env.example")
    assert set(keys) == set(SECRETS), "the test's secrets.env has the keys of the example"
    lines = [f"{key}={SECRETS[key]}" for key in keys]
    (copied / "overlays" / "example" / "secrets.env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return copied


@pytest.fixture(scope="module")
def base() -> list[Doc]:
    return build(BASE)


@pytest.fixture(scope="module")
def overlay(k8s_copy: Path) -> list[Doc]:
    return build(k8s_copy / "overlays" / "example")


@pytest.fixture(params=["base", "overlay"])
def built(request: pytest.FixtureRequest) -> list[Doc]:
    docs: list[Doc] = request.getfixturevalue(request.param)
    return docs


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    (doc,) = _named(docs, kind, name)
    return doc


def pod_labels(deployment: Doc) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and selector.items() <= labels.items()


def pod_env(docs: list[Doc], container: Doc) -> dict[str, str]:
    """The environment the container starts with: envFrom in order, then env (which wins), secrets decoded."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(one(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            data = one(docs, "Secret", source["secretRef"]["name"])["data"]
            env.update({key: base64.b64decode(value).decode() for key, value in data.items()})
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            assert variable["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
            env[variable["name"]] = POD_NAME
    return env


SETTINGS = {f"OPSBOT_{name.upper()}" for name in Settings.model_fields}
# Settings typed SecretStr (tokens, URLs that carry a password): their values are never shown, logged or kept
# outside the Secret.
SECRET_SETTINGS = {
    f"OPSBOT_{name.upper()}" for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
}


# --- Tests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_kubernetes(built: list[Doc], version: str) -> None:
    kinds = sorted(doc["kind"] for doc in built)
    assert {"Deployment", "PodDisruptionBudget", "Service", "ConfigMap", "Secret"} <= set(kinds)
    for doc in built:
        kubernetes_validate.validate(doc, version, strict=True)  # raises with the field's path


def test_kubectl_builds_the_same_manifests(base: list[Doc], overlay: list[Doc], k8s_copy: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the build above stands alone")
    for folder, ours in ((BASE, base), (k8s_copy / "overlays" / "example", overlay)):
        done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60,
                              check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        theirs = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
        assert sorted(map(_key, theirs)) == sorted(map(_key, ours))
        for doc in ours:
            assert doc == one(theirs, doc["kind"], doc["metadata"]["name"])


def _key(doc: Doc) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def test_serve_keeps_a_replica_through_a_deploy_and_a_node_drain(built: list[Doc]) -> None:
    serve = one(built, "Deployment", "opsbot-serve")
    assert serve["spec"]["replicas"] >= 2
    assert serve["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    budgets = [pdb for pdb in built if pdb["kind"] == "PodDisruptionBudget"]
    guarding = [pdb for pdb in budgets if selects(pdb["spec"]["selector"]["matchLabels"], pod_labels(serve))]
    assert [pdb["spec"].get("minAvailable") for pdb in guarding] == [1]
    worker = one(built, "Deployment", "opsbot-worker")
    assert worker["spec"]["replicas"] >= 2
    assert [pdb for pdb in budgets if selects(pdb["spec"]["selector"]["matchLabels"], pod_labels(worker))]
    assert not selects(serve["spec"]["selector"]["matchLabels"], pod_labels(worker))  # two separate sets of pods


def test_the_overlay_runs_three_serve_replicas_of_its_own_image(base: list[Doc], overlay: list[Doc]) -> None:
    assert one(overlay, "Deployment", "opsbot-serve")["spec"]["replicas"] == 3
    images = {doc["metadata"]["name"]: containers(doc)[0]["image"] for doc in base if doc["kind"] == "Deployment"}
    assert images == {"opsbot-serve": "opsbot:latest", "opsbot-worker": "opsbot:latest"}
    assert {doc["metadata"].get("namespace") for doc in overlay if doc["kind"] != "Namespace"} == {"opsbot"}
    assert {c["image"] for doc in overlay for c in containers(doc)} == {"registry.example.com/opsbot:0.1.0"}


def test_probes_and_the_service_reach_the_port_serve_listens_on(built: list[Doc]) -> None:
    serve = one(built, "Deployment", "opsbot-serve")
    (container,) = containers(serve)
    assert container["args"] == ["serve", "--no-worker"]
    env = pod_env(built, container)
    listens = int(env.get("OPSBOT_HTTP_PORT", Settings.model_fields["http_port"].default))
    assert env["OPSBOT_HTTP_HOST"] == "0.0.0.0"
    ports = {port.get("name"): port["containerPort"] for port in container["ports"]}
    assert list(ports.values()) == [listens]

    def port_of(probe: str) -> int:
        port = container[probe]["httpGet"]["port"]
        return int(ports[port] if isinstance(port, str) else port)

    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {port_of(probe) for probe in ("readinessProbe", "livenessProbe", "startupProbe")} == {listens}
    service = one(built, "Service", "opsbot-serve")
    assert selects(service["spec"]["selector"], pod_labels(serve))
    (target,) = (port["targetPort"] for port in service["spec"]["ports"])
    assert (ports[target] if isinstance(target, str) else target) == listens


def test_a_stopping_pod_has_time_to_finish_its_work(built: list[Doc]) -> None:
    serve = one(built, "Deployment", "opsbot-serve")
    (container,) = containers(serve)
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"  # the endpoint leaves the Service before SIGTERM
    grace = serve["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert int(command[1]) + DRAIN_SECONDS < grace
    worker = one(built, "Deployment", "opsbot-worker")
    (worker_container,) = containers(worker)
    job_timeout = int(pod_env(built, worker_container).get("OPSBOT_JOB_TIMEOUT_SECONDS", 0)) or int(
        Settings.model_fields["job_timeout_seconds"].default
    )
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > job_timeout  # the job in hand


def test_every_variable_the_pods_get_is_an_opsbot_setting(built: list[Doc]) -> None:
    for doc in built:
        for container in containers(doc):
            env = pod_env(built, container)
            assert set(env) - SETTINGS == set(), f"{doc['metadata']['name']}: not settings"
            assert env["OPSBOT_REPLICA_NAME"] == POD_NAME  # each replica its own consumer and lease name


def test_secrets_are_only_in_the_secret(base: list[Doc], overlay: list[Doc]) -> None:
    for built in (base, overlay):
        for doc in built:
            if doc["kind"] == "ConfigMap":
                assert set(doc["data"]) & SECRET_SETTINGS == set(), doc["metadata"]["name"]
            if doc["kind"] != "Secret":
                text = yaml.safe_dump(doc)
                assert [secret for secret in SECRET_TEXTS if secret in text] == [], doc["metadata"]["name"]
    (example,) = (doc for doc in base if doc["kind"] == "Secret")
    assert set(example["data"].values()) == {""}  # the base's Secret holds no value: the operator's does
    assert SECRET_SETTINGS - set(example["data"]) == set()


def test_the_secrets_env_file_stays_out_of_git_and_the_image() -> None:
    """Every env file a secretGenerator reads is ignored by git and by the image build, except the empty example."""
    for kustomization in K8S.rglob("kustomization.yaml"):
        for generator in yaml.safe_load(kustomization.read_text(encoding="utf-8")).get("secretGenerator", []):
            for env_file in generator.get("envs", []):
                path = (kustomization.parent / env_file).relative_to(CHECKOUT).as_posix()
                if path.endswith(".example"):
                    continue
                for ignore_file in (".gitignore", ".dockerignore"):
                    patterns = (CHECKOUT / ignore_file).read_text(encoding="utf-8").splitlines()
                    assert any(fnmatch.fnmatchcase(path, p) for p in patterns), f"{ignore_file} lacks {path}"


def test_the_files_the_pods_read_pass_check_config(built: list[Doc], tmp_path: Path) -> None:
    """`opsbot check-config` in each container: the settings it is given, its mounted policy and alerting file."""
    for doc in built:
        spec = doc["spec"]["template"]["spec"] if doc["kind"] == "Deployment" else None
        if spec is None:
            continue
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            root = tmp_path / doc["metadata"]["name"]
            env = pod_env(built, container)
            for mount in container["volumeMounts"]:
                source = volumes[mount["name"]].get("configMap")
                if source is None:
                    continue
                folder = root / mount["mountPath"].lstrip("/")
                folder.mkdir(parents=True)
                for name, text in one(built, "ConfigMap", source["name"])["data"].items():
                    (folder / name).write_text(text, encoding="utf-8")
                env = {k: v.replace(mount["mountPath"], str(folder), 1) if v.startswith(mount["mountPath"]) else v
                       for k, v in env.items()}  # fmt: skip
            assert Path(env["OPSBOT_POLICY"]).is_file() and Path(env["OPSBOT_ALERTING"]).is_file()
            review = review_config(env)
            assert (review.problems, review.warnings) == ([], []), doc["metadata"]["name"]


def test_pods_run_unprivileged_on_a_read_only_root(built: list[Doc]) -> None:
    user = _dockerfile_user()
    for doc in (doc for doc in built if doc["kind"] == "Deployment"):
        spec = doc["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == user  # the image's own user: its files are its own
        assert spec["automountServiceAccountToken"] is False
        empty = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert "limits" in container["resources"] and "requests" in container["resources"]
            writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty}
            assert {pod_env(built, container)["OPSBOT_DATA_DIR"], "/tmp"} <= writable


def _dockerfile_user() -> int:
    lines = (CHECKOUT / "deploy" / "Dockerfile").read_text(encoding="utf-8").splitlines()
    (user,) = (line.split()[1] for line in lines if line.startswith("USER "))
    return int(user.partition(":")[0])
