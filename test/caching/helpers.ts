// Fixture paths of the caching tests, as a user types them.
import { join, relative } from "node:path";
import { ROOT } from "../cli/helpers.js";

export const cachingFixture = (name: string): string => relative(ROOT, join(import.meta.dirname, "fixtures", name));
