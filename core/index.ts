/** The shared model: lock-order.json, the suffix grammar, and held-set semantics. Imports neither ESLint nor ts-morph. */
export * from "./policy.js";
export * from "./config.js";
export * from "./suffix.js";
export * from "./flow.js";
export * from "./recognition.js";
