/**
 * The rules have no wording of their own: every rule's `meta.messages` is the message catalog's
 * object for that rule (core/messages.ts), so the ESLint rules and lock-audit cannot drift apart
 * again. And the catalog fills `{{placeholders}}` exactly as ESLint does, so lock-audit's
 * `messageText` is the sentence ESLint shows.
 */
import { readdirSync, readFileSync } from "node:fs";
import { Linter } from "eslint";
import { describe, expect, it } from "vitest";
import { fillTemplate, MESSAGES } from "../../core/messages.js";
import plugin from "../../rules/index.js";

describe("the message catalog", () => {
  it("has one entry per rule, and each rule's meta.messages is that entry, by identity", () => {
    expect(Object.keys(MESSAGES).sort()).toEqual(Object.keys(plugin.rules).sort());
    for (const [name, rule] of Object.entries(plugin.rules)) {
      expect(rule.meta.messages, name).toBe(MESSAGES[name as keyof typeof MESSAGES]);
    }
  });

  it("is the only place a rule's messages are written (no `messages: {` literal in rules/)", () => {
    const files = readdirSync(new URL("../../rules/", import.meta.url)).filter((file) => file.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(new URL(`../../rules/${file}`, import.meta.url), "utf8");
      expect(text, file).not.toMatch(/\bmessages:\s*\{/);
    }
  });

  it("keeps every sentence on one line", () => {
    for (const [rule, templates] of Object.entries(MESSAGES)) {
      for (const [id, template] of Object.entries(templates)) expect(template, `${rule}.${id}`).not.toMatch(/\n/);
    }
  });

  it("fills placeholders as ESLint does", () => {
    const template = "a {{one}}, b {{ two }}, c {{missing}}, d {{one}}; {{{three}}}";
    const data = { one: "1", two: "$& $1 {{one}}", three: "3" };
    const linter = new Linter({ configType: "flat" });
    const [message] = linter.verify(
      "x;",
      [
        {
          plugins: {
            probe: {
              rules: {
                say: {
                  meta: { messages: { it: template } },
                  create: (context) => ({ Program: (node) => context.report({ node, messageId: "it", data }) }),
                },
              },
            },
          },
          rules: { "probe/say": "error" },
        },
      ],
      "probe.js",
    );
    expect(fillTemplate(template, data)).toBe(message.message);
    expect(fillTemplate(template, data)).toBe("a 1, b $& $1 {{one}}, c {{missing}}, d 1; {3}");
  });
});
