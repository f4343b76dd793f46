/**
 * `kiln lint` over a fixture repository with one recipe per rule: each rule
 * fires once, in its own recipe and nowhere else; a clean recipe has no
 * finding; errors make the exit status 1; rules can be turned off.
 */

import assert from "node:assert/strict";
import { runKiln } from "../_helpers/cli.ts";
import { RULES } from "../../lib/maint/lint_rules.ts";

const HASH = "ab".repeat(33);
const SHA = "cd".repeat(32);

type Files = Record<string, string | { text: string; mode: number }>;

function clean(name: string): Files {
  return {
    build: { text: '#!/bin/sh -e\n\nmake\nmake DESTDIR="$1" install\n', mode: 0o755 },
    version: "1.0 1\n",
    sources: `https://example.org/${name}-1.0.tar.gz\n`,
    checksums: `${HASH}\n`,
    depends: "dep\n",
  };
}

/** One recipe per rule, named after the rule's ID: each differs from a clean one in one way. */
function fixtures(): Record<string, Files> {
  const r: Record<string, Files> = {};
  const make = (name: string, change: (f: Files) => void) => {
    const f = clean(name);
    change(f);
    r[name] = f;
  };
  r.good = clean("good");
  r.dep = { ...clean("dep"), depends: "" };
  r.classic = {
    ...clean("classic"),
    sources: "https://example.org/classic-VERSION.tar.gz\n",
    checksums: `${SHA}\n`,
  };
  make("e01", (f) => delete f.build);
  make("e02", (f) => f.build = "#!/bin/sh -e\nmake\n");
  make("e03", (f) => f.build = { text: "make\n", mode: 0o755 });
  make("e04", (f) => f.version = "1.0\n");
  make("e05", (f) => f.checksums = "nothex\n");
  make("e06", (f) => f.checksums = `${HASH}\n${HASH}\n`);
  make("e07", (f) => f.sources = "https://example.org/a.tar.gz dest extra\n");
  make("e08", (f) => {
    f.sources += "files/missing.patch\n";
    f.checksums += `${HASH}\n`;
  });
  make("e09", (f) => f.depends = "Bad!Name\n");
  make("e10", (f) => f.depends = "dep\nnosuchpkg\n");
  make("e11", (f) => f.depends = "dep\ne11\n");
  make("cyca", (f) => f.depends = "cycb\n");
  make("cycb", (f) => f.depends = "cyca\n");
  make("w01", (f) => f.depends = "dep\ndep make\n");
  make("w02", (f) => f.sources = "http://example.org/w02-1.0.tar.gz\n");
  make("w03", (f) => {
    f.sources = "git+https://example.org/w03.git\n";
    delete f.checksums;
  });
  make("w04", (f) => f["files/unused.txt"] = "nobody names me\n");
  make("w05", (f) => f.sources = "https://example.org/w05-VERSION.tar.gz\n");
  make("w06", (f) => f.version = "1.0 1\r\n");
  make("w07", (f) => f.version = "1.0 1 \n");
  make("w08", (f) => {
    f.build = { text: "#!/bin/sh -e\n\nif true; then\n    make\n    make install\n\tmake check\nfi\n", mode: 0o755 };
  });
  make("w09", (f) => f.depends = "dep make\n");
  return r;
}

/** Which fixture each rule must fire in. */
const WHERE: Record<string, string> = {
  E01: "e01",
  E02: "e02",
  E03: "e03",
  E04: "e04",
  E05: "e05",
  E06: "e06",
  E07: "e07",
  E08: "e08",
  E09: "e09",
  E10: "e10",
  E11: "e11",
  E12: "cyca",
  W01: "w01",
  W02: "w02",
  W03: "w03",
  W04: "w04",
  W05: "w05",
  W06: "w06",
  W07: "w07",
  W08: "w08",
  W09: "w09",
};

async function makeRepo(): Promise<{ top: string; repo: string; root: string }> {
  const top = await Deno.makeTempDir({ prefix: "kiln-lint-" });
  const repo = `${top}/repo`;
  for (const [name, files] of Object.entries(fixtures())) {
    for (const [rel, content] of Object.entries(files)) {
      const path = `${repo}/${name}/${rel}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      const { text, mode } = typeof content === "string" ? { text: content, mode: 0o644 } : content;
      await Deno.writeTextFile(path, text);
      await Deno.chmod(path, mode);
    }
  }
  // The installed w09 links to dep: its database entry records dep as a runtime dependency.
  const root = `${top}/root`;
  await Deno.mkdir(`${root}/var/db/kiss/installed/w09`, { recursive: true });
  await Deno.writeTextFile(`${root}/var/db/kiss/installed/w09/version`, "1.0 1\n");
  await Deno.writeTextFile(`${root}/var/db/kiss/installed/w09/depends`, "dep\n");
  return { top, repo, root };
}

interface JsonFinding {
  file: string;
  line?: number;
  id: string;
  severity: string;
  message: string;
}

Deno.test("lint: every rule fires once, in its own recipe only; clean recipes have no finding", async () => {
  const { top, repo, root } = await makeRepo();
  try {
    const env = { KISS_PATH: repo, KISS_ROOT: root };
    const res = await runKiln(["lint", "--json", repo], { env });
    assert.deepEqual(res.code, 1, res.stderr);
    const findings = JSON.parse(res.stdout) as JsonFinding[];
    const pkgOf = (f: JsonFinding) => f.file.slice(repo.length + 1).split("/")[0];
    for (const rule of Object.values(RULES)) {
      const hits = findings.filter((f) => f.id === rule.id);
      assert.deepEqual(hits.map(pkgOf), [WHERE[rule.id]], `${rule.id} ${rule.name}: ${JSON.stringify(hits)}`);
      assert.deepEqual(hits[0].severity, rule.severity);
    }
    assert.deepEqual(findings.length, Object.keys(RULES).length, JSON.stringify(findings, null, 1));
    for (const name of ["good", "dep", "classic", "cycb"]) {
      assert.deepEqual(findings.filter((f) => pkgOf(f) === name), []);
    }
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("lint: FILE:LINE: ID: message lines, exit 0 on warnings only, rules turned off", async () => {
  const { top, repo, root } = await makeRepo();
  try {
    const env = { KISS_PATH: repo, KISS_ROOT: root };
    const res = await runKiln(["lint", "w02", "w07"], { env });
    assert.deepEqual(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split("\n");
    assert.deepEqual(lines, [
      `${repo}/w02/sources:1: W02: http://example.org/w02-1.0.tar.gz is fetched without TLS: use https:// if the host has it`,
      `${repo}/w07/version:1: W07: blanks at the end of the line`,
    ]);
    const off = await runKiln(["lint", "w02", "w07"], { env: { ...env, KISS_LINT_OFF: "W02,trailing-blank" } });
    assert.deepEqual([off.code, off.stdout], [0, ""]);
    const bad = await runKiln(["lint", "w02"], { env: { ...env, KISS_LINT_OFF: "X99" } });
    assert.deepEqual(bad.code, 2);
    assert.match(bad.stderr, /'X99' is not a lint rule/);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("lint: a package directory by path, the current directory, and an unknown package", async () => {
  const { top, repo, root } = await makeRepo();
  try {
    const env = { KISS_PATH: repo, KISS_ROOT: root };
    const byPath = await runKiln(["lint", `${repo}/e04`], { env });
    assert.deepEqual(byPath.code, 1);
    assert.match(byPath.stdout, /e04\/version:1: E04: no release field after version '1.0'/);
    const here = await runKiln(["lint"], { env, cwd: `${repo}/good` });
    assert.deepEqual([here.code, here.stdout], [0, ""], here.stderr);
    assert(here.stderr.includes("1 package(s), 0 error(s), 0 warning(s)"), here.stderr);
    const unknown = await runKiln(["lint", "nosuchpkg"], { env });
    assert.deepEqual(unknown.code, 1);
    assert.match(unknown.stderr, /nosuchpkg/);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
