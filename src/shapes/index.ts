/**
 * shapes/: result types learned from real calls (README.md, "Learned result types"). The shape of
 * every successful value of a tool without an outputSchema is recorded (kinds and names, never
 * values), merged per tool in `.runbyte/shapes/<server>.json`, and turned into a JSON Schema that
 * codegen types the tool's result with.
 */
export { absorb, bounded, isDataKey, merge, type Shape, seen, shapeOf, size, toSchema } from './shape.js';
export { ShapeStore, type ShapesFile } from './store.js';
