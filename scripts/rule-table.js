#!/usr/bin/env node
/**
 * Writes the README's rule table from the built plugin's rule metadata (`meta.docs`, `meta.type`,
 * `hasSuggestions`, `fixable`), between `<!-- rules:start -->` and `<!-- rules:end -->`, so the
 * table cannot disagree with the rules or with `configs.recommended`.
 *
 *   node scripts/rule-table.js           rewrite the table in README.md
 *   node scripts/rule-table.js --check   exit 1 when README.md's table is stale (for CI)
 *   --readme <path>                      another file than README.md
 *
 * Reads dist/: run `npm run build` first.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const START = "<!-- rules:start -->";
const END = "<!-- rules:end -->";
const repo = fileURLToPath(new URL("..", import.meta.url));

function usage(message) {
  console.error(`rule-table: ${message}\nusage: node scripts/rule-table.js [--check] [--readme <path>]`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { check: false, readme: `${repo}README.md` };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === "--check") options.check = true;
    else if (argv[i] === "--readme" && argv[i + 1]) options.readme = argv[++i];
    else usage(`unknown argument "${argv[i]}"`);
  }
  return options;
}

/** Table cells must not break the row: pipes are escaped, line breaks flattened. */
function cell(text) {
  return String(text).replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

export function ruleTable(plugin) {
  const rows = Object.entries(plugin.rules).map(([name, rule]) => {
    const docs = rule.meta.docs ?? {};
    const severity = docs.recommended === "warn" ? "⚠️ warn" : docs.recommended === "error" ? "✅ error" : "";
    const help = [rule.meta.fixable ? "🔧 fix" : "", rule.meta.hasSuggestions ? "💡 suggestion" : ""].filter(Boolean).join(", ");
    return `| [\`${name}\`](docs/rules/${name}.md) | ${cell(docs.description ?? "")} | ${severity} | ${help} |`;
  });
  return [
    `Prefix each rule with \`${plugin.meta.name}/\`. Recommended: the severity in \`configs.recommended\`.`,
    "",
    "| rule | what it checks | recommended | fixes |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** The README with the table between the markers replaced; throws when the markers are missing. */
export function withRuleTable(readme, table) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`missing the markers ${START} … ${END}`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const built = new URL("../dist/rules/index.js", import.meta.url);
  if (!existsSync(built)) usage("dist/rules/index.js not found; run `npm run build` first");
  const { default: plugin } = await import(built.href);
  const readme = readFileSync(options.readme, "utf8");
  let updated;
  try {
    updated = withRuleTable(readme, ruleTable(plugin));
  } catch (error) {
    usage(`${relative(process.cwd(), options.readme)}: ${error.message}`);
  }
  const name = relative(process.cwd(), options.readme) || options.readme;
  if (options.check) {
    if (updated !== readme) {
      console.error(`rule-table: the rule table in ${name} is stale; run node scripts/rule-table.js`);
      process.exit(1);
    }
    console.log(`rule-table: ${name} is up to date`);
    return;
  }
  if (updated !== readme) writeFileSync(options.readme, updated);
  console.log(`rule-table: ${updated === readme ? "unchanged" : "wrote"} ${name}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
