// The repository lints itself with its own plugin. It imports the build (`npm test` runs
// `npm run build` before `npm run lint`); a consumer imports "lock-discipline/eslint-plugin".
// Untyped on purpose: the rules need no type information, and this keeps `npm run lint` fast.
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";
import lockDiscipline from "./dist/rules/index.js";

export default [
  { ignores: ["dist/", "node_modules/", "fixtures/", "bench-out/", ".bench/"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
  },
  lockDiscipline.configs.recommended,
  lockDiscipline.withLockOrder(fileURLToPath(new URL("./lock-order.json", import.meta.url))),
];
