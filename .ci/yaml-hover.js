// yaml-language-server (from the npm registry) as an editor sees it: a small LSP client
// over stdio gives the server the schema by the `yaml.schemas` setting the README
// documents, opens the examples, and checks
//   - that every example gets no diagnostic from the schema (they are valid), and that a
//     copy with a misspelt `kind` does get one (the schema is really in use);
//   - that a hover on the `kind` key shows the field's description, and a hover on its
//     value (`kind: web_server`) shows the field's description and the value's.
// Usage: node yaml-hover.js SERVER_JS SCHEMA_JSON EXAMPLE...
// The first example must contain `kind: web_server`. Exits 1 with the reason on failure.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");

const [serverJs, schemaPath, ...examples] = process.argv.slice(2);
if (!serverJs || !schemaPath || examples.length === 0) {
  console.error("usage: node yaml-hover.js SERVER_JS SCHEMA_JSON EXAMPLE...");
  process.exit(2);
}

// What the hovers must show, read from the schema itself: the `kind` field's
// description, and web_server's own description in the bare set of kinds.
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
const fieldDescription = schema.definitions?.Component?.properties?.kind?.description;
const valueDescription = (schema.definitions?.Kind?.oneOf ?? []).find(
  (k) => k.const === "web_server",
)?.description;
if (!fieldDescription || !valueDescription) {
  fail(
    `the schema has no description for the kind field (${fieldDescription}) ` +
      `or for web_server (${valueDescription})`,
  );
}

const server = spawn(process.execPath, [serverJs, "--stdio"], {
  stdio: ["pipe", "pipe", "inherit"],
});
server.on("exit", (code, signal) => {
  if (!finished) fail(`yaml-language-server exited early (code ${code}, signal ${signal})`);
});
let finished = false;
const timer = setTimeout(() => fail("timed out waiting for yaml-language-server"), 60_000);

// --- JSON-RPC over stdio (Content-Length framing) ---
let nextId = 1;
const pending = new Map();
const diagnosticWaiters = new Map(); // uri -> the resolves waiting for its next list
let buffer = Buffer.alloc(0);

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
  server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  server.stdin.write(body);
}
function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}
function notify(method, params) {
  send({ method, params });
}

server.stdout.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const headerEnd = buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const header = buffer.subarray(0, headerEnd).toString("ascii");
    const length = Number(/Content-Length: *(\d+)/i.exec(header)?.[1]);
    if (!Number.isFinite(length)) fail(`bad header from the server: ${header}`);
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
    buffer = buffer.subarray(headerEnd + 4 + length);
    handle(JSON.parse(body));
  }
});

function handle(message) {
  if (message.id !== undefined && message.method === undefined) {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
    else waiter.resolve(message.result);
  } else if (message.id !== undefined) {
    // A request from the server (workspace/configuration, client/registerCapability,
    // window/workDoneProgress/create...): answer so it goes on.
    let result = null;
    if (message.method === "workspace/configuration") {
      result = message.params.items.map((item) => configuration(item.section));
    }
    send({ id: message.id, result });
  } else if (message.method === "textDocument/publishDiagnostics") {
    const { uri, diagnostics: list } = message.params;
    for (const resolve of diagnosticWaiters.get(uri) ?? []) resolve(list);
    diagnosticWaiters.delete(uri);
  }
}

function waitForDiagnostics(uri) {
  return new Promise((resolve) => {
    diagnosticWaiters.set(uri, [...(diagnosticWaiters.get(uri) ?? []), resolve]);
  });
}

// The settings a user writes (README: "yaml.schemas").
const schemaUri = pathToFileURL(path.resolve(schemaPath)).href;
const settings = {
  yaml: {
    validate: true,
    hover: true,
    completion: true,
    schemaStore: { enable: false },
    schemas: { [schemaUri]: ["topology.yml", "*.topology.yml", "*.topology.yaml"] },
  },
};
function configuration(section) {
  if (!section) return settings;
  return section.split(".").reduce((value, key) => value?.[key], settings) ?? null;
}

function fail(reason) {
  console.error(`yaml-hover: ${reason}`);
  process.exit(1);
}

// Markdown as the editor renders it: yaml-language-server escapes punctuation
// ("What it is\.", "web\_server").
function rendered(hover) {
  const contents = hover?.contents;
  const parts = Array.isArray(contents) ? contents : [contents];
  return parts
    .map((part) => (typeof part === "string" ? part : part?.value ?? ""))
    .join("\n")
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, "$1");
}

function describe(list) {
  return list
    .map((d) => `  ${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`)
    .join("\n");
}

async function main() {
  await request("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(process.cwd()).href,
    capabilities: {
      textDocument: {
        hover: { contentFormat: ["markdown", "plaintext"] },
        publishDiagnostics: {},
        synchronization: { dynamicRegistration: false },
      },
      workspace: { configuration: true, didChangeConfiguration: {} },
    },
  });
  notify("initialized", {});
  notify("workspace/didChangeConfiguration", { settings });

  let version = 1;
  async function open(file, text) {
    const uri = pathToFileURL(path.resolve(file)).href;
    const published = waitForDiagnostics(uri);
    notify("textDocument/didOpen", {
      textDocument: { uri, languageId: "yaml", version: version++, text },
    });
    return { uri, diagnostics: await published };
  }

  // The schema is in use, first (so that no example below is read before the schema
  // is): a misspelt kind is an error.
  const first = fs.readFileSync(examples[0], "utf8");
  const lines = first.split("\n");
  const line = lines.findIndex((l) => /^\s*kind: web_server\s*$/.test(l));
  if (line < 0) fail(`${examples[0]} has no line "kind: web_server"`);
  const misspelt = first.replace(/kind: web_server/, "kind: web_servr");
  const copy = path.join(path.dirname(examples[0]), "misspelt-kind.topology.yml");
  const wrong = await open(copy, misspelt);
  if (!wrong.diagnostics.some((d) => d.range.start.line === line)) {
    fail(
      `"kind: web_servr" got no diagnostic on its line: the schema is not applied` +
        (wrong.diagnostics.length ? `; it got:\n${describe(wrong.diagnostics)}` : ""),
    );
  }
  console.log(`yaml-hover: "kind: web_servr" is reported:\n${describe(wrong.diagnostics)}`);

  // Every example is valid for the schema.
  let bad = false;
  for (const file of new Set(examples)) {
    const { diagnostics: list } = await open(file, fs.readFileSync(file, "utf8"));
    if (list.length > 0) {
      console.error(`yaml-hover: ${file}: yaml-language-server reports:\n${describe(list)}`);
      bad = true;
    } else {
      console.log(`yaml-hover: ${file}: no diagnostic`);
    }
  }
  if (bad) fail("yaml-language-server finds schema errors in the examples");

  // Hovers on the key and on the value.
  const uri = pathToFileURL(path.resolve(examples[0])).href;
  const keyColumn = lines[line].indexOf("kind");
  const valueColumn = lines[line].indexOf("web_server");
  const onKey = rendered(
    await request("textDocument/hover", {
      textDocument: { uri },
      position: { line, character: keyColumn + 1 },
    }),
  );
  const onValue = rendered(
    await request("textDocument/hover", {
      textDocument: { uri },
      position: { line, character: valueColumn + 2 },
    }),
  );
  console.log(`yaml-hover: hover on "kind" (${examples[0]}:${line + 1}):\n${onKey}\n`);
  console.log(`yaml-hover: hover on "web_server" (${examples[0]}:${line + 1}):\n${onValue}\n`);
  const missing = [];
  if (!onKey.includes(fieldDescription)) missing.push(`the key's hover lacks "${fieldDescription}"`);
  if (!onValue.includes(fieldDescription))
    missing.push(`the value's hover lacks the field's "${fieldDescription}"`);
  if (!onValue.includes(valueDescription))
    missing.push(`the value's hover lacks the value's "${valueDescription}"`);
  if (missing.length) fail(missing.join("; "));

  finished = true;
  await request("shutdown", null).catch(() => {});
  notify("exit", null);
  clearTimeout(timer);
  setTimeout(() => process.exit(0), 200);
}

main().catch((error) => fail(error.stack ?? String(error)));
