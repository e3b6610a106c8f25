import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // What the README has a user make inside the tree (data/, a Python .venv, go build outputs) is
  // not the project's source; .gitignore lists the same.
  { ignores: ["**/node_modules/**", "data/**", "**/dist/**", "**/.venv*/**", "**/venv/**", "**/__pycache__/**", "test/compat/go/go", "test/compat/go/seed/seed"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  { files: ["packages/console/src/**"], languageOptions: { globals: { ...globals.browser } } },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
);
