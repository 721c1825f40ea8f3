//! The topology as one directed graph: a node per component (node `i` is component `i`),
//! an edge per link. Hosts and failure domains hang off the model's components.

use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::{ComponentId, LinkId, Model};

/// The request-flow graph.
#[derive(Debug)]
pub struct Graph {
    /// Nodes carry component ids, edges link ids.
    pub graph: DiGraph<ComponentId, LinkId>,
}

impl Graph {
    /// Builds the graph once from the model.
    pub fn build(model: &Model) -> Graph {
        let mut graph = DiGraph::with_capacity(model.components.len(), model.links.len());
        for i in 0..model.components.len() {
            graph.add_node(ComponentId(i as u32));
        }
        for (i, link) in model.links.iter().enumerate() {
            graph.add_edge(node(link.from), node(link.to), LinkId(i as u32));
        }
        Graph { graph }
    }

    /// The links leaving a component, in the order they were added (reversed by petgraph,
    /// so sorted here for stable output).
    pub fn outgoing(&self, c: ComponentId) -> Vec<LinkId> {
        let mut out: Vec<LinkId> = self.graph.edges(node(c)).map(|e| *e.weight()).collect();
        out.sort_unstable();
        out
    }
}

/// The graph node of a component.
pub fn node(c: ComponentId) -> NodeIndex {
    NodeIndex::new(c.index())
}
