"""`default` runs the read-only inspection verbs of cluster and container tools and still
asks (or denies) everything that changes a cluster or the host's containers, reads
secrets, or talks to a daemon or API of the caller's choosing."""

from __future__ import annotations

import pytest

from corral.events import CodeAction, ExecAction
from corral.policy import Policy

DEFAULT = Policy.builtin("default")

READ_ONLY = [
    "kubectl get pods",
    "kubectl get pods -o wide",
    "kubectl get deploy,svc -n prod -o yaml",
    "kubectl get nodes --show-labels",
    "kubectl describe pod web-1",
    "kubectl logs deploy/web",
    "kubectl logs -f web-1 -c app --since=1h",
    "kubectl explain pod.spec.containers",
    "kubectl top pods",
    "kubectl top node",
    "kubectl version --client",
    "kubectl version",
    "kubectl api-resources",
    "kubectl api-versions",
    "kubectl cluster-info",
    "kubectl config get-contexts",
    "kubectl config current-context",
    "kubectl -n kube-system get pods",
    "kubectl -n prod logs web-1 --tail 20",
    "kubectl --namespace=prod describe deploy api",
    "kubectl --context staging -n web get svc",
    "kubectl --context=c1 top pods",
    "docker ps",
    "docker ps -a --format '{{.Names}}'",
    "docker images",
    "docker image ls",
    "docker container ls -a",
    "docker logs web",
    "docker logs --tail 50 -f web",
    "docker version",
    "docker info",
    "docker compose ps",
    "docker compose logs -f api",
    "docker-compose ps",
    "docker-compose logs web",
]

# (line, verdict, a word the reason must name)
EFFECTFUL: list[tuple[str, str, str]] = [
    # secrets, however they are spelled
    ("kubectl get secret", "deny", "secrets"),
    ("kubectl get secrets", "deny", "secrets"),
    ("kubectl get Secrets", "deny", "secrets"),
    ("kubectl get secrets,pods -o json", "deny", "secrets"),
    ("kubectl get pods,secret -A", "deny", "secrets"),
    ("kubectl get -o yaml secret db", "deny", "secrets"),
    ("kubectl get secret/db -o jsonpath={.data.password}", "deny", "secrets"),
    ("kubectl --kubeconfig x get secret -A -o yaml", "deny", "secrets"),
    ("kubectl describe secret db", "deny", "secrets"),
    ("kubectl describe secrets", "deny", "secrets"),
    ("kubectl -n prod get secret db -o yaml", "deny", "secrets"),
    ("kubectl -n prod get Secrets", "deny", "secrets"),
    ("kubectl --namespace prod describe secret db", "deny", "secrets"),
    ("kubectl --context prod -n web get pods,secrets -o json", "deny", "secrets"),
    ("kubectl -n prod get --raw /api/v1/namespaces/prod/pods", "ask", "raw"),
    ("kubectl -n prod delete pod get", "ask", "cluster"),  # 'get' as a name is not the verb
    ("kubectl -n prod exec -it web -- sh", "ask", "cluster"),
    ("kubectl -n prod --kubeconfig x get pods", "ask", "cluster"),
    ("kubectl -n get pods", "ask", "cluster"),  # -n takes 'get': no verb follows
    # any request path, credentials in full, changes, shells and tunnels into the cluster
    ("kubectl get --raw /api/v1/namespaces/default/pods", "ask", "raw"),
    ("kubectl get --raw=/api/v1/nodes/n/proxy/run", "ask", "raw"),
    ("kubectl config view --raw", "ask", "cluster"),
    ("kubectl config view", "ask", "cluster"),
    ("kubectl exec -it web-1 -- sh", "ask", "cluster"),
    ("kubectl cp web-1:/etc/app .", "ask", "cluster"),
    ("kubectl port-forward svc/db 5432:5432", "ask", "cluster"),
    ("kubectl proxy", "ask", "cluster"),
    ("kubectl apply -f deploy.yaml", "ask", "cluster"),
    ("kubectl create deployment web --image=nginx", "ask", "cluster"),
    ("kubectl delete pod web-1", "ask", "cluster"),
    ("kubectl edit deploy web", "ask", "cluster"),
    ("kubectl patch deploy web -p {}", "ask", "cluster"),
    ("kubectl scale deploy web --replicas=3", "ask", "cluster"),
    ("kubectl run x --image=alpine", "ask", "cluster"),
    ("kubectl cluster-info dump", "ask", "cluster"),
    ("kubectl --kubeconfig x get pods", "ask", "cluster"),  # other options first: asked
    ("kubectl get-secrets", "ask", "cluster"),  # a plugin, not `get`
    ("kubectl get pods; kubectl delete pod web-1", "ask", "cluster"),
    ("kubectl get pods && kubectl exec web-1 -- id", "ask", "cluster"),
    ("kubectl get pods | sh", "ask", "shell"),
    # containers on the host
    ("docker inspect web", "ask", "containers"),
    ("docker build -t x .", "ask", "containers"),
    ("docker run --rm alpine echo hi", "ask", "containers"),
    ("docker exec -it web sh", "ask", "containers"),
    ("docker compose up -d", "ask", "containers"),
    ("docker compose config", "ask", "containers"),
    ("docker-compose up -d", "ask", "containers"),
    ("docker push registry.example/x", "ask", "publishes"),
    ("docker login", "ask", "credentials"),
    ("docker ps; docker run --rm -v /:/h alpine", "ask", "containers"),
    ("docker ps -q | xargs docker rm -f", "ask", "containers"),
    ("docker -H tcp://docker.example.com:2375 ps", "ask", "containers"),
    ("docker -H tcp://203.0.113.9:2375 ps", "deny", "203.0.113.9"),
    ("docker --context remote ps", "ask", "containers"),
    ("docker run --privileged alpine", "deny", "privileged"),
    ("sudo docker run --rm -v /:/h alpine", "ask", "containers"),
    # the node's own tools: the datastore and the runtimes under kubectl and docker
    ("etcdctl get /registry/secrets --prefix", "ask", "datastore"),
    ("runc exec -t ctr sh", "ask", "containers"),
    ("crictl exec -it abc sh", "ask", "containers"),
    ("kubeadm reset -f", "ask", "control plane"),
]


@pytest.mark.parametrize("line", READ_ONLY)
def test_read_only_inspection_runs(line: str) -> None:
    decision = DEFAULT.decide_command(line)
    assert decision.verdict == "allow", (line, decision.rule, decision.reason)
    # the same as a command the shell runs, and as a native tier's program start
    code = DEFAULT.decide(CodeAction(language="shell", code=line))
    assert code.verdict == "allow", (line, code.reason)


@pytest.mark.parametrize(("line", "verdict", "word"), EFFECTFUL)
def test_effects_and_secrets_are_still_asked_or_denied(line: str, verdict: str, word: str) -> None:
    decision = DEFAULT.decide_command(line)
    assert decision.verdict == verdict, (line, decision.rule, decision.reason)
    assert word in (decision.reason or ""), (line, decision.reason)


def test_argv_forms_decide_the_same() -> None:
    # a native tier decides the program's argv: quoting cannot turn a secret read into a get
    for argv, verdict in [
        (["kubectl", "get", "pods", "-o", "wide"], "allow"),
        (["kubectl", "get", "secrets,pods", "-o", "json"], "deny"),
        (["kubectl", "get", "Secret", "db"], "deny"),
        (["docker", "ps", "-a"], "allow"),
        (["docker", "-H", "tcp://docker.example.com:2375", "ps"], "ask"),
        (["docker", "run", "alpine"], "ask"),
    ]:
        decision = DEFAULT.decide(ExecAction(argv=argv))
        assert decision.verdict == verdict, (argv, decision.reason)
