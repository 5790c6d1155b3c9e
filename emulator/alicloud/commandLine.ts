// Splitting a Cloud Assistant command line into words the way the instance's shell would, so the
// simulated plugin sees exactly the arguments a real one would. Sources: POSIX Shell Command Language
// §2.2 "Quoting" (sh); Go's syscall.CommandLineToArgv / os.Args on Windows (the agent and plugin manager
// are Go binaries: aliyun_assist_client); cmd.exe's batch parsing as `cmd /?` and Microsoft's "cmd"
// reference describe it; PowerShell's about_Quoting_Rules.
// - RunShellScript (sh): words split on unquoted whitespace; '…' is literal; "…" takes backslash escapes
//   of " \ $ ` (other backslashes stay); a backslash outside quotes escapes the next character.
// - RunBatScript: cmd.exe's batch-line processing (cmdLine), then the program's own splitting: the
//   programs we run there are Go binaries (acs-plugin-manager.exe), so Go's os.Args rules (goWindowsArgv).
// - RunPowerShellScript: '…' literal ('' is a '), "…" with backtick escapes, a backtick outside quotes
//   escapes the next character.
// Unterminated quotes are errors for sh and PowerShell (the line does not run); Go's Windows splitting
// has no such error (an open quote runs to the end of the line).

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated single quote");
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) i++;
        cur += line[i++];
      }
      if (i >= line.length) throw new Error("unterminated double quote");
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * What cmd.exe leaves of one line of a batch file before it starts a program (Microsoft's cmd reference:
 * `for /?` for `%%` in batch files, `cmd /?` for quoting and the `^` escape): `%%` is a `%`, `%NAME%` and
 * `%0`-`%9` expand (to nothing here: the emulator's guest has no such variables), a lone `%` goes; `"`
 * toggles quoting; outside quotes `^` escapes the next character, and an unescaped `&`, `|`, `<` or `>`
 * ends the program's command line (what follows is another command or a redirection).
 */
export function cmdLine(line: string): string {
  let expanded = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] !== "%") {
      expanded += line[i];
      continue;
    }
    if (line[i + 1] === "%") {
      expanded += "%";
      i++;
    } else if (/[0-9*]/.test(line[i + 1] ?? "")) i++;
    else {
      const end = line.indexOf("%", i + 1);
      if (end > i + 1) i = end;
    }
  }
  let out = "";
  let quoted = false;
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "^") {
      if (i + 1 < expanded.length) out += expanded[++i];
      continue;
    } else if (!quoted && "&|<>".includes(c)) break;
    out += c;
  }
  return out;
}

/**
 * How a Go program on Windows (acs-plugin-manager.exe is one) splits its command line: os.Args from
 * os/exec_windows.go commandLineToArgv/readNextArg. Spaces and tabs outside quotes separate; `"` toggles
 * quoting; 2n backslashes before a `"` give n and the quote toggles, 2n+1 give n and a literal `"`; inside
 * quotes `""` gives a `"` and ends the quoting ("prior to 2008" rule); other backslashes are literal.
 */
export function goWindowsArgv(cmd: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    if (cmd[i] === " " || cmd[i] === "\t") {
      i++;
      continue;
    }
    let b = "";
    let inquote = false;
    let nslash = 0;
    for (; i < cmd.length; i++) {
      const c = cmd[i];
      if ((c === " " || c === "\t") && !inquote) {
        i++;
        break;
      }
      if (c === '"') {
        b += "\\".repeat(Math.floor(nslash / 2));
        if (nslash % 2 === 0) {
          if (inquote && cmd[i + 1] === '"') {
            b += c;
            i++;
          }
          inquote = !inquote;
        } else b += c;
        nslash = 0;
        continue;
      }
      if (c === "\\") {
        nslash++;
        continue;
      }
      b += "\\".repeat(nslash);
      nslash = 0;
      b += c;
    }
    args.push(b + "\\".repeat(nslash));
  }
  return args;
}

/** RunBatScript: cmd.exe's processing of the line, then the program's own (Go) splitting. */
export function cmdWords(line: string): string[] {
  return goWindowsArgv(cmdLine(line));
}

export function powershellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error("unterminated single quote");
        if (line[i] === "'" && line[i + 1] === "'") {
          cur += "'";
          i += 2;
        } else if (line[i] === "'") break;
        else cur += line[i++];
      }
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "`" && i + 1 < line.length) i++;
        cur += line[i++];
      }
      if (i >= line.length) throw new Error("unterminated double quote");
      inWord = true;
    } else if (c === "`" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The words of a command line as the shell of this RunCommand Type splits them. */
export function commandWords(line: string, type: string): string[] {
  if (type === "RunBatScript") return cmdWords(line);
  if (type === "RunPowerShellScript") return powershellWords(line);
  return shellWords(line);
}

/** The first line that is not blank, a comment or a shell preamble (`set -e`, `@echo off`). */
export function firstCommandLine(content: string): string {
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || /^(rem\b|::|@?echo\s+off$|set\s+-\w+$)/i.test(line)) continue;
    return line;
  }
  return "";
}
