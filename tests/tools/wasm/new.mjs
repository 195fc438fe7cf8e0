// A core module (from wabt) given WIT metadata and made a component with the WASI reactor adapter:
// `wasm-tools component embed` then `component new --adapt`, as cargo-component does, through jco's API.
// Usage: node new.mjs CORE.wasm WORLD.wit WORLD OUT.wasm (JCO_PREFIX: where npm installed jco)
import { readFile, writeFile } from 'node:fs/promises';
const prefix = process.env.JCO_PREFIX || '/opt/lade-test-tools';
const jco = `${prefix}/node_modules/@bytecodealliance/jco`;
const { componentEmbed, componentNew } = await import(`${jco}/dist/api.js`);
const [core, wit, world, out] = process.argv.slice(2);
const embedded = await componentEmbed({ binary: await readFile(core), witSource: await readFile(wit, 'utf8'), world });
const adapter = await readFile(`${jco}/lib/wasi_snapshot_preview1.reactor.wasm`);
await writeFile(out, await componentNew(embedded, [['wasi_snapshot_preview1', adapter]]));
