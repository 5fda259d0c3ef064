/**
 * The roles a Dingo container's Patroni was set up with, and where their passwords come from: the
 * broker's ADMIN_/SUPERUSER_/APPUSER_USERNAME|PASSWORD in the container's environment, or, in a
 * container the broker gave none of them, the image's own defaults.
 *
 * The images' run.sh (dingotiles/dingo-postgresql-release images/postgresql95-patroni/scripts/run.sh)
 * sets each as `${VAR:-default}`: the superuser `postgres` and the app role `dvw7DJgqzFBJC8`, each with
 * a fixed password, the same in every instance; the admin `pgadmin` with a random one (`pwgen`), which
 * no one knows. The 2016 broker (dingotiles/dingo-postgresql-broker, servicechange/step/add_node.go)
 * passes none of the six, and hands out those same fixed logins on bind (broker/bind.go). A container
 * naming some of them but not others is no broker's: only what it names is taken.
 */
import type { Redactor } from '../core/redact.js';

export type RoleKind = 'ADMIN' | 'SUPERUSER' | 'APPUSER';

export interface ContainerRole {
  kind: RoleKind;
  role: string;
  password: string;
  /** Where the role and its password come from. */
  from: "the container's environment" | "the image's defaults (the broker gave the container none)";
}

const KINDS: readonly RoleKind[] = ['ADMIN', 'SUPERUSER', 'APPUSER'];

/** run.sh's defaults; the admin's password is random, so absent. */
const IMAGE_DEFAULTS: Record<RoleKind, { role: string; password?: string }> = {
  ADMIN: { role: 'pgadmin' },
  SUPERUSER: { role: 'postgres', password: 'Tof2gNVZMz6Dun' },
  APPUSER: { role: 'dvw7DJgqzFBJC8', password: 'jkT3TTNebfrh6C' },
};

/** Whether the broker gave the container any of its roles (run.sh reads an empty variable as unset). */
const brokerGaveRoles = (env: Readonly<Record<string, string | undefined>>): boolean =>
  KINDS.some((k) => env[`${k}_USERNAME`] || env[`${k}_PASSWORD`]) || Boolean(env.POSTGRES_USERNAME);

/** The role of KIND with its password, or null when its password is not known; the password registered with `redactor`. */
export function containerRole(
  env: Readonly<Record<string, string | undefined>>,
  kind: RoleKind,
  redactor?: Redactor,
): ContainerRole | null {
  const named = brokerGaveRoles(env);
  // run.sh: an old broker's POSTGRES_USERNAME/POSTGRES_PASSWORD stand for the admin.
  const legacy = kind === 'ADMIN' && env.POSTGRES_USERNAME;
  const role = (legacy ? env.POSTGRES_USERNAME : env[`${kind}_USERNAME`]) || (named ? '' : IMAGE_DEFAULTS[kind].role);
  const password = (legacy ? env.POSTGRES_PASSWORD : env[`${kind}_PASSWORD`]) || (named ? '' : (IMAGE_DEFAULTS[kind].password ?? ''));
  if (!role || !password) return null;
  redactor?.register(password);
  return {
    kind,
    role,
    password,
    from: named ? "the container's environment" : "the image's defaults (the broker gave the container none)",
  };
}

/** Every role of the container whose password is known. */
export const containerRoles = (env: Readonly<Record<string, string | undefined>>, redactor?: Redactor): ContainerRole[] =>
  KINDS.flatMap((k) => containerRole(env, k, redactor) ?? []);

/**
 * The roles the image's Patroni creates in a new cluster: containerRoles, and, when the broker gave
 * none, the admin too, with the password run.sh draws at random (`pwgen -s -1 16`): `drawPassword`'s.
 */
export function patroniRoles(env: Readonly<Record<string, string | undefined>>, drawPassword: () => string): ContainerRole[] {
  const roles = containerRoles(env);
  if (brokerGaveRoles(env)) return roles;
  const admin: ContainerRole = {
    kind: 'ADMIN',
    role: IMAGE_DEFAULTS.ADMIN.role,
    password: drawPassword(),
    from: "the image's defaults (the broker gave the container none)",
  };
  return [admin, ...roles];
}
