export * from "./authorisations.js";
export * from "./catalogue.js";
export * from "./chain.js";
export * from "./he.js";
export * from "./jobs.js";
export * from "./participants.js";
export * from "./replicas.js";
export * from "./settlement.js";
