export * from "./ids.js";
export * from "./errors.js";
export * from "./assert-never.js";
