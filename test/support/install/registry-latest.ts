// The Flow Library's scorecard marks a pack whose dependencies are a major version behind the
// registry. The scorecard test checks that offline, against the registry's latest versions recorded
// here together with the versions the lock file held when they were recorded; when the lock file's
// runtime dependencies change, record again (needs the npm registry):
//   npm run build && node dist/test/support/install/registry-latest.js
import fs from 'node:fs';
import path from 'node:path';
import { npm } from './tool-cache';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const REGISTRY_LATEST_FILE = path.join(ROOT, 'test', 'install', 'registry-latest.json');

export interface RegistryLatest {
  recorded: string;
  /** Per runtime dependency: the version the lock file held, and the registry's latest then. */
  dependencies: Record<string, { locked: string; latest: string }>;
}

/** The versions package-lock.json installs for the package's runtime dependencies. */
export function lockedRuntimeVersions(): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  return Object.fromEntries(
    Object.keys(pkg.dependencies ?? {}).map((name) => [name, lock.packages[`node_modules/${name}`]?.version ?? '']),
  );
}

export function readRegistryLatest(): RegistryLatest {
  return JSON.parse(fs.readFileSync(REGISTRY_LATEST_FILE, 'utf8')) as RegistryLatest;
}

function record(): void {
  const dependencies: RegistryLatest['dependencies'] = {};
  for (const [name, locked] of Object.entries(lockedRuntimeVersions())) {
    const latest = npm(process.execPath, ['view', name, 'version'], ROOT).trim();
    dependencies[name] = { locked, latest };
  }
  const out: RegistryLatest = { recorded: new Date().toISOString().slice(0, 10), dependencies };
  fs.writeFileSync(REGISTRY_LATEST_FILE, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`recorded ${REGISTRY_LATEST_FILE}`);
}

if (require.main === module) record();
