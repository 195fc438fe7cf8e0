// A JavaScript module made a component by ComponentizeJS (StarlingMonkey), as `jco componentize` does.
// Usage: node componentize.mjs SOURCE.js WIT_DIR WORLD OUT.wasm (JCO_PREFIX: where npm installed jco)
import { writeFile } from 'node:fs/promises';
const prefix = process.env.JCO_PREFIX || '/opt/lade-test-tools';
const { componentize } = await import(`${prefix}/node_modules/@bytecodealliance/componentize-js/src/componentize.js`);
const [source, wit, world, out] = process.argv.slice(2);
const { component } = await componentize({ sourcePath: source, witPath: wit, worldName: world });
await writeFile(out, component);
