/** The shared model: lock-order.json, the suffix grammar, held-set semantics, and the message catalog. Imports neither ESLint nor ts-morph. */
export * from "./policy.js";
export * from "./config.js";
export * from "./suffix.js";
export * from "./flow.js";
export * from "./recognition.js";
export * from "./messages.js";
