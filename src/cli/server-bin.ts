#!/usr/bin/env node
// The bin cao-server: the same as `cao server`.
process.argv.splice(2, 0, "server");
await import("./main.js");
