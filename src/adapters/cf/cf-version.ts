/**
 * cf CLI versions and the output eras they imply.
 * Service commands print in three formats: ≤6.32 (legacy `cf/commands`), 6.33–7.x (`command/v6`,
 * which 7.x still uses for services) and 8.x (`command/v7`, v3 API). `cf apps` and `cf target`
 * switched format at 7.0 instead, so some renderers look at the major version too.
 */
export type CfEra = 'legacy' | 'v6' | 'v8';

/** Numeric parts of a version such as `6.53.0+8e2b70a4a.2020-10-01`. */
function versionParts(version: string): [number, number, number] {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (!m) return [0, 0, 0];
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` (numeric parts only). */
function compareVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

export function cfEra(version: string): CfEra {
  if (compareVersions(version, '6.33.0') < 0) return 'legacy';
  if (compareVersions(version, '8.0.0') < 0) return 'v6';
  return 'v8';
}

export function cfMajor(version: string): number {
  return versionParts(version)[0];
}

/** `cf curl -f` (exit 22 on HTTP errors) exists since 6.43.0. */
export function cfCurlHasFail(version: string): boolean {
  return compareVersions(version, '6.43.0') >= 0;
}

/**
 * The version from `cf version` / `cf -v` output (`cf version 8.9.1+6c6aa0f.2024-11-05`). The CLI names
 * itself as it was run (cloudfoundry/cli command/common/version_command.go prints `{{.BinaryName}}
 * version`, the base name of os.Args[0]): `cf7 version 7.7.2…`, `cf8 version 8.9.1…` from the cf7-cli
 * and cf8-cli packages, `cf.exe version …`.
 */
export function parseCfVersionOutput(stdout: string): string | null {
  const m = /^\S+ version (\d+\.\d+\S*)/m.exec(stdout);
  return m ? m[1]! : null;
}
