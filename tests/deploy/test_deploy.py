"""deploy/ names every service, port and variable that `make cluster` (scripts/cluster.sh) uses.

Parsed, not run: Docker and Kubernetes are not on the development machines. `make cluster` runs the
same layout with local services; tests/deploy/test_cluster.py runs it.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = (ROOT / "scripts" / "cluster.sh").read_text()
HAPROXY = (ROOT / "deploy" / "haproxy.cfg").read_text()
COMPOSE = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
HELM = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
GATEWAY_HELM = yaml.safe_load((ROOT / "deploy" / "helm" / "voice-gateway-values.yaml").read_text())
DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()

# What the Rasa servers of `make cluster` are configured with (beyond .env's secrets).
RASA_SETTINGS = {"ANXIN_DATABASE_URL", "ANXIN_TRACKER_STORE_URL", "ANXIN_LOCK_STORE_URL", "ANXIN_EVENT_BROKER_URL",
                 "ANXIN_EVENT_QUEUE", "ACTION_SERVER_URL", "ANXIN_TRUSTED_PROXIES"}
SECRETS = {"RASA_AUTH_TOKEN", "ANXIN_SECRET_KEY", "ANXIN_ACTION_SECRET"}


def exported_by_cluster() -> set:
    names = set(re.findall(r"^export ([A-Z0-9_]+)=", CLUSTER, re.M))
    for line in re.findall(r"^export (.+)$", CLUSTER, re.M):
        names |= set(re.findall(r"(?:^|\s)([A-Z0-9_]+)=", line))
    return names


def helm_env(values: dict) -> set:
    return {item["name"] for item in values["extraEnv"]}


def test_make_cluster_sets_every_setting_the_deployments_carry():
    assert RASA_SETTINGS <= exported_by_cluster()


def test_haproxy_variables_are_set_by_make_cluster_and_by_compose():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)\}", HAPROXY))
    assert used, "haproxy.cfg takes its addresses from the environment"
    # these three come from scripts/env.sh
    assert used <= exported_by_cluster() | {"RASA_PORT", "ACTION_PORT", "ANXIN_VOICE_GATEWAY_PORT"}
    assert used <= set(COMPOSE["services"]["haproxy"]["environment"])
    assert "deploy/haproxy.cfg" in CLUSTER and "./haproxy.cfg:" in str(COMPOSE["services"]["haproxy"]["volumes"])


def test_compose_has_every_service_of_the_cluster():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "rabbitmq", "haproxy", "rasa1", "rasa2", "actions1", "actions2",
            "gateway1", "gateway2", "scheduler", "seed"} <= set(services)
    for name in ("rasa1", "rasa2", "actions1", "actions2", "gateway1", "gateway2", "scheduler"):
        assert RASA_SETTINGS <= set(services[name]["environment"]), name
        assert services[name]["env_file"] == "../.env", f"{name}: secrets come from .env"
    haproxy = services["haproxy"]["environment"]
    assert {haproxy["RASA_1_HOST"], haproxy["RASA_2_HOST"], haproxy["ACTION_1_HOST"], haproxy["ACTION_2_HOST"],
            haproxy["GATEWAY_1_HOST"], haproxy["GATEWAY_2_HOST"]} == \
        {"rasa1", "rasa2", "actions1", "actions2", "gateway1", "gateway2"}
    assert "127.0.0.1:5005:5005" in services["haproxy"]["ports"]  # the product's port, as `make cluster`
    assert not any("5055" in port or "5065" in port for port in services["haproxy"]["ports"])  # both stay private
    assert services["rasa1"]["environment"]["ACTION_SERVER_URL"] == "http://haproxy:5055/webhook"


def test_the_services_urls_point_at_the_compose_services():
    env = COMPOSE["services"]["rasa1"]["environment"]
    assert env["ANXIN_LOCK_STORE_URL"].startswith("redis://redis:6379/")
    assert env["ANXIN_EVENT_BROKER_URL"].startswith("amqp://") and "@rabbitmq:5672" in env["ANXIN_EVENT_BROKER_URL"]
    for name in ("ANXIN_DATABASE_URL", "ANXIN_TRACKER_STORE_URL"):
        assert env[name].startswith("postgresql://") and "@postgres:5432/" in env[name]
    created = set(re.findall(r"CREATE DATABASE (\w+)", (ROOT / "deploy" / "postgres-init.sql").read_text()))
    assert {env["ANXIN_DATABASE_URL"].rsplit("/", 1)[1], env["ANXIN_TRACKER_STORE_URL"].rsplit("/", 1)[1]} <= created


def test_helm_values_run_both_images_with_replicas_autoscaling_and_every_setting():
    assert HELM["command"] == ["python", "-m", "bot.serve"] and "--enable-api" in HELM["args"]
    assert HELM["args"][HELM["args"].index("--port") + 1] == str(HELM["applicationSettings"]["port"]) == "5005"
    assert RASA_SETTINGS | SECRETS <= helm_env(HELM)
    assert HELM["autoscaling"]["enabled"] and HELM["autoscaling"]["minReplicas"] >= 2
    actions = HELM["rasa-action-server"]
    assert actions["install"] and actions["autoscaling"]["enabled"] and actions["autoscaling"]["minReplicas"] >= 2
    assert actions["command"] == ["python", "-m", "actions.server"]
    assert actions["applicationSettings"]["port"] == 5055
    assert {"ANXIN_DATABASE_URL", "ANXIN_ACTION_SECRET", "ACTION_HOST"} <= helm_env(actions)
    assert HELM["readinessProbe"]["httpGet"]["path"] == "/webhooks/rest/"  # the route HAProxy checks
    assert "GET /webhooks/rest/" in HAPROXY and "GET /health" in HAPROXY
    assert actions["readinessProbe"]["httpGet"]["path"] == "/health"
    for store in ("trackerStore", "lockStore", "eventBroker"):  # from the environment, not the chart's file
        assert HELM["applicationSettings"]["endpoints"][store]["enabled"] is False


def test_the_voice_paths_go_to_the_voice_gateways_in_every_deployment():
    """Issue 17: calls, voice messages and read-aloud reach a gateway, not Rasa; Rasa and the gateways find each other."""
    assert "use_backend voice_gateways if voice_path" in HAPROXY
    for path in ("/webhooks/phone", "/webhooks/voice", "/webhooks/webchat/speak"):
        assert re.search(rf"acl voice_path path .*{re.escape(path)}(\s|$)", HAPROXY, re.M), path
    assert "timeout tunnel" in HAPROXY  # a call's WebSocket is not cut after the HTTP timeouts
    assert "python -m voice.gateway" in CLUSTER and {"ANXIN_VOICE_GATEWAY_URL", "ANXIN_GATEWAY_RASA_URL"} <= \
        exported_by_cluster()
    compose = COMPOSE["x-anxin-environment"]
    assert compose["ANXIN_VOICE_GATEWAY_URL"] == "http://haproxy:5065" and compose["ANXIN_GATEWAY_RASA_URL"] == \
        "http://haproxy:5005"
    assert GATEWAY_HELM["command"] == ["python", "-m", "voice.gateway"]
    assert GATEWAY_HELM["applicationSettings"]["port"] == 5065 and GATEWAY_HELM["autoscaling"]["minReplicas"] >= 2
    assert {"ANXIN_GATEWAY_SECRET", "ANXIN_GATEWAY_RASA_URL", "ANXIN_DATABASE_URL", "ANXIN_VOICE_GATEWAY_INTERFACE"} \
        <= helm_env(GATEWAY_HELM)
    assert {"ANXIN_GATEWAY_SECRET", "ANXIN_VOICE_GATEWAY_URL"} <= helm_env(HELM)
    assert GATEWAY_HELM["readinessProbe"]["httpGet"]["path"] == "/health"


def test_dockerfile_builds_the_images_the_way_make_cluster_starts_them():
    assert re.search(r"^FROM .+ AS rasa$", DOCKERFILE, re.M) and re.search(r"^FROM .+ AS actions$", DOCKERFILE, re.M)
    assert re.search(r"^FROM .+ AS gateway$", DOCKERFILE, re.M)
    assert '"bot.serve"' in DOCKERFILE and '"actions.server"' in DOCKERFILE and '"voice.gateway"' in DOCKERFILE
    assert "python -m bot.serve" in CLUSTER and "python -m actions.server" in CLUSTER
    assert "EXPOSE 5005" in DOCKERFILE and "EXPOSE 5055" in DOCKERFILE and "EXPOSE 5065" in DOCKERFILE
    assert "requirements.txt" in DOCKERFILE and "constraints.txt" in DOCKERFILE
    assert not re.search(r"(TOKEN|SECRET|PASSWORD)=", DOCKERFILE), "no secret in an image"
