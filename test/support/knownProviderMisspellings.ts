// Parameters the current provider sends that the clouds' API models do not know. The real gateways
// ignore them, so whatever the provider meant by them never happens. Listed here only so that the suites
// can run while the provider is fixed: the provider engineer empties this list (each entry names the
// model that says so). Anything not listed fails the suite that sent it (test/support/emulator.ts).

export interface AllowedUnknownParam {
  cloud?: "volcengine" | "alicloud";
  /** The action; any action when absent. */
  action?: string;
  /** The parameter as sent (`HostName`) or as a pattern (`Tags.N.Foo`). */
  param: string;
  /** Why it is unknown: the model file that lacks it, and what the model has instead. */
  evidence?: string;
}

export const KNOWN_PROVIDER_MISSPELLINGS: AllowedUnknownParam[] = [];
