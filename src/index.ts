export * from "./plugins/index.js";
