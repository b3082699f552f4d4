"""Network measures of the exported graph, computed with networkx, to colour and filter by.

- ``degree``: relations the entity takes part in (parallel relations of different kinds count
  apart, as in the file), ``in_degree`` and ``out_degree`` by direction;
- ``betweenness``: normalised betweenness centrality on the undirected simple graph (direction
  says who states what of whom, not a path an influence travels);
- ``community``: Louvain communities on the undirected graph weighted by claim counts, with a
  fixed seed; numbered from 0 by size, largest first (ties by smallest key), so that the same
  build gives the same numbers. An isolated entity is a community of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.export.relations import Relation

SEED = 20261123


@dataclass(frozen=True)
class Measures:
    """The measures of one entity."""

    degree: int
    in_degree: int
    out_degree: int
    betweenness: float
    community: int


def measures(nodes: list[str], relations: list[Relation]) -> dict[str, Measures]:
    """Measures for each node (IRIs, in a fixed order) of the graph the relations make."""
    import networkx as nx

    multi = nx.MultiDiGraph()
    multi.add_nodes_from(nodes)
    for r in relations:
        multi.add_edge(r.subject, r.object, key=r.property)
    simple = nx.Graph()
    simple.add_nodes_from(nodes)
    for r in relations:
        if r.subject == r.object:
            continue
        weight = simple.get_edge_data(r.subject, r.object, {}).get("weight", 0)
        simple.add_edge(r.subject, r.object, weight=weight + len(r.claims))
    between = nx.betweenness_centrality(simple, normalized=True)
    groups = nx.community.louvain_communities(simple, weight="weight", seed=SEED)
    order = sorted(groups, key=lambda g: (-len(g), min(g)))
    community = {node: number for number, group in enumerate(order) for node in group}
    return {
        n: Measures(
            degree=multi.degree(n),
            in_degree=multi.in_degree(n),
            out_degree=multi.out_degree(n),
            betweenness=round(between[n], 6),
            community=community[n],
        )
        for n in nodes
    }
