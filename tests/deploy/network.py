"""What the rendered NetworkPolicies allow, worked out as Kubernetes does for pods in one
namespace: a connection needs a matching egress rule in some policy that selects the
source (or no egress policy selecting it at all), and a matching ingress rule in some
policy that selects the destination (or no ingress policy selecting it)."""

from __future__ import annotations

from typing import Any

Labels = dict[str, str]
Object = dict[str, Any]


def selects(selector: Object, labels: Labels) -> bool:
    """Whether a LabelSelector matches `labels` (matchLabels and matchExpressions)."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
    return True


def _peer_matches(peers: list[Object] | None, labels: Labels) -> bool:
    if peers is None:  # no from/to: every peer
        return True
    for peer in peers:
        # A namespaceSelector names other namespaces (kube-dns); never a pod of ours.
        if "podSelector" in peer and "namespaceSelector" not in peer:
            if selects(peer["podSelector"], labels):
                return True
        elif "ipBlock" in peer:
            continue
    return False


def _port_matches(ports: list[Object] | None, port: int) -> bool:
    if ports is None:
        return True
    return any(p.get("port") == port and p.get("protocol", "TCP") == "TCP" for p in ports)


def _direction(policies: list[Object], kind: str, subject: Labels, peer: Labels, port: int) -> bool:
    field, peers_field = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    relevant = [
        p
        for p in policies
        if kind in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], subject)
    ]
    if not relevant:
        return True
    return any(
        _peer_matches(rule.get(peers_field), peer) and _port_matches(rule.get("ports"), port)
        for policy in relevant
        for rule in policy["spec"].get(field, [])
    )


def allowed(policies: list[Object], source: Labels, destination: Labels, port: int) -> bool:
    """Whether a pod labelled `source` may open a TCP connection to `port` on a pod
    labelled `destination` (both in the namespace)."""
    return _direction(policies, "Egress", source, destination, port) and _direction(
        policies, "Ingress", destination, source, port
    )
