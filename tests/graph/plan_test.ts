import assert from "node:assert/strict";
import { RecipeError } from "../../lib/errors.ts";
import { formatPlan, loadPlanRecipes, planToJson } from "../../lib/graph/plan.ts";
import type { BuildPlan } from "../../lib/graph/plan.ts";
import { tempDir, testConfig, writeRecipe } from "../_helpers/fixtures.ts";

const entry = (name: string, explicit: boolean, dir = `/r/${name}`) => ({
  name,
  dir,
  repo: "/r",
  explicit,
  make: false,
});

Deno.test("formatPlan numbers the packages and marks explicit and implicit ones", () => {
  const plan: BuildPlan = { order: [entry("zlib", false), entry("pigz", true)], targets: ["pigz"] };
  assert.deepEqual(formatPlan(plan), [
    "(1/2) will build package (implicit) zlib",
    "(2/2) will build package (explicit) pigz",
  ]);
  assert.deepEqual(formatPlan({ order: [], targets: [] }), []);
});

Deno.test("planToJson is plain data that survives JSON", () => {
  const plan: BuildPlan = { order: [entry("a", true)], targets: ["a"] };
  assert.deepEqual(JSON.parse(JSON.stringify(planToJson(plan))), {
    order: [{ name: "a", dir: "/r/a", repo: "/r", explicit: true, make: false }],
    targets: ["a"],
  });
});

Deno.test("loadPlanRecipes validates every recipe of the plan and stops at the first broken one", async () => {
  await using tmp = await tempDir();
  const good = writeRecipe(`${tmp.path}/repo`, "good", { version: "2.1 4\n" });
  const bad = writeRecipe(`${tmp.path}/repo`, "bad", { version: "2.1\n" });
  const config = testConfig(`${tmp.path}/root`, [`${tmp.path}/repo`]);
  const [r] = loadPlanRecipes({ order: [entry("good", true, good)], targets: ["good"] }, config);
  assert.equal(r.version, "2.1");
  assert.equal(r.release, "4");
  assert.throws(
    () => loadPlanRecipes({ order: [entry("good", false, good), entry("bad", true, bad)], targets: ["bad"] }, config),
    (err: unknown) => err instanceof RecipeError && err.file === `${bad}/version` && err.line === 1,
  );
});
