/**
 * The service's image on a Dingo cell, as the cell's own Docker says it: the image (`Config.Image`,
 * which the broker's `docker create` set from its own configuration, never a tenant) of the running
 * Dingo containers `docker ps` lists there. The broker names each `cf-<node uuid>` and gives it
 * PATRONI_SCOPE (cf-containers-broker's container name prefix, dingo-postgresql-release's
 * broker spec); registrator and other containers of the cell are not the service's. Seed 003's cell
 * runs `cfcommunity/postgresql-patroni:9.5` beside `cfcommunity/registrator:latest`.
 */
import { StepFailed } from '../core/errors.js';
import { oneLine } from '../core/display.js';
import type { CellDocker } from '../adapters/docker.js';

/** An image reference as Docker writes one: repository, tag, digest; nothing a shell or a flag would read otherwise. */
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/;

/** Each image the cell's running Dingo containers run, with those containers' names. */
async function dingoImages(docker: CellDocker): Promise<Map<string, string[]>> {
  const names = (await docker.containerNames()).filter((n) => n.startsWith('cf-'));
  const images = new Map<string, string[]>();
  for (const info of await docker.inspectAll(names)) {
    if (!info.state.running || info.env.PATRONI_SCOPE === undefined) continue;
    images.set(info.image, [...(images.get(info.image) ?? []), info.name]);
  }
  return images;
}

/**
 * The one image the cell's Dingo containers run; none, several, or one that is no image reference is
 * refused, naming what the cell runs and `--image`.
 */
export async function serviceImage(docker: CellDocker): Promise<string> {
  const images = await dingoImages(docker);
  const where = docker.runner.where;
  if (images.size === 0) {
    throw new StepFailed(`docker ps on ${where} shows no running Dingo container (cf-…) whose image the drill could run in`, {
      hint: "name the service's image with --image (docker images on the cell, e.g. cfcommunity/postgresql-patroni:9.5), or drill on a cell that runs the service",
    });
  }
  const listed = [...images].map(([image, on]) => `${oneLine(image)} (${on.slice(0, 3).join(', ')}${on.length > 3 ? ', …' : ''})`);
  if (images.size > 1) {
    throw new StepFailed(`the Dingo containers on ${where} run ${images.size} images: ${listed.join('; ')}`, {
      hint: "name the one of the archive's PostgreSQL version with --image",
    });
  }
  const image = [...images.keys()][0]!;
  if (!IMAGE_REFERENCE.test(image)) {
    throw new StepFailed(`the Dingo containers on ${where} run ${JSON.stringify(image)}, which is no image reference to run`, {
      hint: "name the service's image with --image",
    });
  }
  return image;
}
