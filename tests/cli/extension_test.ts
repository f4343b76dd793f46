import assert from "node:assert/strict";
import { baseEnv, describe, runKiln } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";

Deno.test("an unknown action runs kiln-ACTION from PATH with the remaining arguments and its exit status", async () => {
  await using tmp = await tempDir();
  const bin = `${tmp.path}/bin`;
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(`${bin}/kiln-hello`, '#!/bin/sh\necho "hello from an extension: $*"\nexit 3\n');
  Deno.chmodSync(`${bin}/kiln-hello`, 0o755);
  const r = await runKiln(["hello", "a", "--flag", "b"], { env: { PATH: `${bin}:${baseEnv().PATH}` } });
  assert.equal(r.code, 3, describe(r));
  assert.equal(r.stdout, "hello from an extension: a --flag b\n");
});

Deno.test("an unknown action with no kiln-ACTION in PATH (or one not executable) is a usage error", async () => {
  await using tmp = await tempDir();
  const bin = `${tmp.path}/bin`;
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(`${bin}/kiln-noexec`, "#!/bin/sh\necho should not run\n");
  const env = { PATH: `${bin}:${baseEnv().PATH}` };
  for (const action of ["nosuchaction", "noexec"]) {
    const r = await runKiln([action], { env });
    assert.equal(r.code, 2, describe(r));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`unknown command '${action}', and no 'kiln-${action}' in PATH`));
  }
});
