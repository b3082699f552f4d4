// Reads a GEXF file with graphology-gexf (the parser of Gephi Lite and sigma.js) and prints what
// it found as JSON, for tests/test_export_gexf.py to check. Usage:
//   node read_gexf.mjs NODE_MODULES_FOLDER FILE.gexf
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [modules, file] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(modules), "noop.js"));
const Graph = require("graphology");
const gexf = require("graphology-gexf/node");

const graph = gexf.parse(Graph.MultiGraph, readFileSync(file, "utf-8"), { addMissingNodes: false });
const nodes = {};
graph.forEachNode((key, attributes) => {
  nodes[key] = attributes;
});
const edges = {};
graph.forEachEdge((key, attributes, source, target) => {
  edges[key] = { source, target, attributes };
});
process.stdout.write(
  JSON.stringify({ type: graph.type, multi: graph.multi, order: graph.order, size: graph.size, graph: graph.getAttributes(), nodes, edges }),
);
