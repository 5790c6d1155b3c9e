// acs-plugin-manager, the Cloud Assistant agent's plugin runner, as its source has it (aliyun/aliyun_assist_client,
// tags v2.x.3.317 to v2.x.3.578; the first public release of the Go agent is 317, and every one since splits
// parameters the same way):
// - its flags are parsed by the vendored aliyun-cli parser (thirdparty/aliyun-cli/cli/parser.go): `--name=v`,
//   `--name:v`, `--name v`; a flag that takes one value takes the next word verbatim even when it starts
//   with "-"; unknown `--flags` are accepted and ignored (main.go: EnableUnknownFlag);
// - the plugin's argument list is `CommonExecuteParams.SplitArgs` (acspluginmanager/option.go): with
//   --paramsV2, shlex.Split(paramsV2); else every occurrence of --separator (default ",") in --params is
//   replaced by a space, then shlex.Split; shlex errors are ignored (what was split so far is kept);
// - shlex is github.com/google/shlex (vendored): whitespace " \t\r\n" separates; '…' is literal; "…" takes a
//   backslash escape of any character; a backslash outside quotes escapes the next character; "#" at the
//   start of a word begins a comment to the end of the line;
// - its own failures exit 232-247 (acspluginmanager/errcode.go) after printing
//   "<Function> <ERROR_NAME>: <tip>" (errorcode_unix.go / errorcode_windows.go errProcess).

/** google/shlex Split: the words, and the error it would return (the agent ignores it). */
export function shlexSplit(s: string): { words: string[]; error?: string } {
  const words: string[] = [];
  const chars = [...s];
  let i = 0;
  const space = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
  while (i < chars.length) {
    // startState: skip spaces, then a word or a comment.
    while (i < chars.length && space(chars[i])) i++;
    if (i >= chars.length) break;
    if (chars[i] === "#") {
      while (i < chars.length && chars[i] !== "\n") i++;
      continue;
    }
    let word = "";
    let state: "word" | "escape" | "dquote" | "dquoteEscape" | "squote" = "word";
    for (; ; i++) {
      const c = chars[i];
      if (c === undefined) {
        // EOF: a word ends here, unless an escape or a quote is open (then the agent loses it).
        if (state === "word") {
          words.push(word);
          return { words };
        }
        return { words, error: state === "escape" || state === "dquoteEscape" ? "EOF found after escape character" : "EOF found when expecting closing quote" };
      }
      if (state === "word") {
        if (space(c)) {
          i++;
          break;
        }
        if (c === '"') state = "dquote";
        else if (c === "'") state = "squote";
        else if (c === "\\") state = "escape";
        else word += c;
      } else if (state === "escape") {
        word += c;
        state = "word";
      } else if (state === "dquote") {
        if (c === '"') state = "word";
        else if (c === "\\") state = "dquoteEscape";
        else word += c;
      } else if (state === "dquoteEscape") {
        word += c;
        state = "dquote";
      } else if (c === "'") state = "word";
      else word += c;
    }
    words.push(word);
  }
  return { words };
}

export interface ManagerCall {
  /** The flags as the aliyun-cli parser assigned them (unknown ones included). */
  flags: Record<string, string | true>;
  /** Words that were not flags or flag values. */
  args: string[];
  /** Set when the parser refused the command line (the agent prints it and exits 1). */
  error?: string;
}

/** Flags of acs-plugin-manager and whether each takes a value (flag/flag.go). */
const MANAGER_FLAGS: Record<string, { short?: string; value: boolean }> = {
  help: { short: "h", value: false },
  verbose: { short: "V", value: false },
  version: { short: "v", value: false },
  list: { short: "l", value: false },
  local: { short: "L", value: false },
  verify: { short: "f", value: false },
  status: { short: "S", value: false },
  exec: { short: "e", value: false },
  remove: { short: "r", value: false },
  plugin: { short: "P", value: true },
  pluginId: { value: true },
  pluginVersion: { short: "n", value: true },
  params: { short: "p", value: true },
  paramsV2: { value: true },
  url: { short: "u", value: true },
  separator: { short: "s", value: true },
  file: { short: "F", value: true },
  fetchTimeout: { value: true },
  timeout: { value: true },
};

/** The aliyun-cli parser over acs-plugin-manager's argv (without the program name). */
export function parseManagerArgs(argv: string[]): ManagerCall {
  const flags: Record<string, string | true> = {};
  const args: string[] = [];
  let pending: string | undefined; // a flag waiting for its value
  for (const s of argv) {
    if (pending !== undefined) {
      const known = Object.hasOwn(MANAGER_FLAGS, pending);
      const p = pending;
      pending = undefined;
      // parser.go: a known flag that takes one value gets the next word as it is, even "-v"; an unknown
      // one (AssignedDefault) only a word that does not look like a flag.
      if (known || !s.startsWith("-")) {
        flags[p] = s;
        continue;
      }
    }
    const cut = s.search(/[=:]/);
    const prefix = cut < 0 ? s : s.slice(0, cut);
    const value = cut < 0 ? "" : s.slice(cut + 1);
    let name: string | undefined;
    if (prefix.startsWith("--")) {
      if (prefix.length === 2) return { flags, args, error: "not support '--' in command line" };
      name = prefix.slice(2);
    } else if (prefix.startsWith("-")) {
      if (prefix.length !== 2) return { flags, args, error: `not support flag form ${prefix}` };
      name = Object.keys(MANAGER_FLAGS).find((k) => MANAGER_FLAGS[k].short === prefix[1]);
      if (!name) return { flags, args, error: `unknown flag -${prefix[1]}` };
    } else {
      args.push(s);
      continue;
    }
    if (Object.hasOwn(flags, name)) return { flags, args, error: `--${name} duplicated` };
    // Unknown flags are added on the fly and take a value like any other (flag_set.go AddByName).
    const takesValue = Object.hasOwn(MANAGER_FLAGS, name) ? MANAGER_FLAGS[name].value : true;
    if (!takesValue) {
      if (value) return { flags, args, error: `flag --${name} can't be assiged` };
      flags[name] = true;
    } else if (value !== "") flags[name] = value;
    else pending = name;
  }
  if (pending !== undefined && Object.hasOwn(MANAGER_FLAGS, pending)) return { flags, args, error: `--${pending} must be assigned with value` };
  return { flags, args };
}

/** CommonExecuteParams.SplitArgs: the argument list the plugin is started with. */
export function pluginArgv(flags: Record<string, string | true>): string[] {
  const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : "");
  if (str("paramsV2") !== "") return shlexSplit(str("paramsV2")).words;
  const separator = str("separator") || ",";
  return shlexSplit(str("params").split(separator).join(" ")).words;
}

/** acs-plugin-manager's own exit codes (errcode.go): the plugin never ran. */
export const MANAGER_EXIT_CODES: Record<number, { name: string; tip: (plugin: string) => string }> = {
  232: { name: "LOCKING_ERR", tip: (p) => `Failed to execute plugin[${p}]: Failed to acquire plugin-wise shared lock` },
  233: { name: "CHECK_ENDPOINT_FAIL", tip: () => "Could not find a endpoint to connect server." },
  234: { name: "PACKAGE_NOT_FOUND", tip: (p) => `plugin not exist ${p}` },
  235: { name: "PACKAGE_FORMAT_ERR", tip: (p) => `Package of ${p} is not a zip file` },
  236: { name: "UNZIP_ERR", tip: (p) => `Unzip package err, plugin is [${p}]` },
  237: { name: "UNMARSHAL_ERR", tip: () => "Unmarshal config.json err" },
  238: { name: "PLUGIN_FORMAT_ERR", tip: (p) => `Executable file not exist, ${p}.` },
  239: { name: "MD5_CHECK_FAIL", tip: (p) => `Md5 check of the package of ${p} failed` },
  240: { name: "DOWNLOAD_FAIL", tip: (p) => `Downloading package failed, plugin is [${p}], err is [context deadline exceeded]` },
  241: { name: "LOAD_INSTALLEDPLUGINS_ERR", tip: () => "Load installed_plugins err: unexpected end of JSON input" },
  242: { name: "DUMP_INSTALLEDPLUGINS_ERR", tip: () => "Update installed_plugins file err: no space left on device" },
  243: { name: "GET_ONLINE_PACKAGE_INFO_ERR", tip: () => "Get plugin info from online err: context deadline exceeded" },
  244: { name: "EXECUTABLE_PERMISSION_ERR", tip: (p) => `Make the plugin ${p} executable err: operation not permitted` },
  245: { name: "REMOVE_FILE_ERR", tip: (p) => `Remove plugin directory err, plugin is [${p}]` },
  246: { name: "EXECUTE_FAILED_ERR", tip: () => "Execute plugin failed, err: fork/exec: exec format error" },
  247: { name: "EXECUTE_TIMEOUT_ERR", tip: () => "Execute plugin timeout, timeout[1800] err: signal: killed" },
};

/** The line errProcess prints before acs-plugin-manager exits with one of its own codes. */
export function managerFailureLine(code: number, plugin: string): string {
  const e = MANAGER_EXIT_CODES[code];
  return `ExecutePlugin ${e?.name ?? "UNKNOWN"}: ${e ? e.tip(plugin) : "unknown error"}`;
}

/** Go's flag package over the plugin's argument list, for the flags `kinds` declares. */
export function goFlagParse(argv: string[], kinds: Record<string, "string" | "bool" | "int">): { values: Record<string, string>; rest: string[]; error?: string } {
  const values: Record<string, string> = Object.create(null);
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s.length < 2 || s[0] !== "-") return { values, rest: argv.slice(i) };
    let name = s.slice(1);
    if (name[0] === "-") {
      name = name.slice(1);
      if (name === "") return { values, rest: argv.slice(i + 1) }; // "--" ends the flags
    }
    if (name === "" || name[0] === "-" || name[0] === "=") return { values, rest: [], error: `bad flag syntax: ${s}` };
    const eq = name.indexOf("=");
    const hasValue = eq >= 0;
    const value = hasValue ? name.slice(eq + 1) : "";
    if (hasValue) name = name.slice(0, eq);
    const kind = Object.hasOwn(kinds, name) ? kinds[name] : undefined;
    if (!kind) return { values, rest: [], error: `flag provided but not defined: -${name}` };
    if (kind === "bool") {
      const v = hasValue ? value : "true";
      // strconv.ParseBool
      if (!["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"].includes(v)) return { values, rest: [], error: `invalid boolean value "${v}" for -${name}: parse error` };
      values[name] = ["1", "t", "T", "TRUE", "true", "True"].includes(v) ? "true" : "false";
      continue;
    }
    let v = value;
    if (!hasValue) {
      if (i + 1 >= argv.length) return { values, rest: [], error: `flag needs an argument: -${name}` };
      v = argv[++i];
    }
    if (kind === "int" && !/^[+-]?\d+$/.test(v)) return { values, rest: [], error: `invalid value "${v}" for flag -${name}: parse error` };
    values[name] = v;
  }
  return { values, rest: [] };
}
