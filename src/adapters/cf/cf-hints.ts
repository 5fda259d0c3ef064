import { pasteCommand } from '../../core/shell-quote.js';

/** What an operator can do about the cf CLI's common failures, matched on the reason it printed. */
const HINTS: [RegExp, string][] = [
  [/not logged in/i, 'Log in as an admin first (cf login -a API_URL), then run again.'],
  [/no org and space targeted|no (org|space) targeted/i, "Target the user's org and space first: cf target -o ORG -s SPACE."],
  [/organization .*not found/i, 'Check the org name with the user; `cf orgs` lists the orgs you can see.'],
  [/space .*not found/i, 'Check the space name with the user; `cf spaces` lists the spaces of the targeted org.'],
  [
    /service offering .*not found|could not find plan|plan .*could not be found/i,
    "Check the offering and plan in `cf marketplace`: Dingo's offering was postgresql95 until March 2016, then dingo-postgresql.",
  ],
  [
    /service instance name is taken/i,
    'A service instance of that name already exists in the targeted space (under another plan): check it with `cf service NAME`; if it is not the instance to restore into, ask the user for another name, or delete it with their consent.',
  ],
  [/app .*not found/i, 'Check the app name with `cf apps` in the targeted space.'],
  [/not a registered command/i, 'This cf CLI is too old for the command; install cf CLI 6.x or later.'],
  [/not authorized|forbidden|403/i, 'The logged-in user lacks permission; log in as an admin or a space developer of that space.'],
];

/** The hint for a failure's reason; without a known reason, how to see the whole output. */
export function hintFor(reason: string, argv: string[]): string {
  for (const [re, hint] of HINTS) if (re.test(reason)) return hint;
  return `Run it by hand to see the whole output: ${pasteCommand(argv)}`;
}
