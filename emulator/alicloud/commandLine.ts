// Splitting a Cloud Assistant command line into words the way the instance's shell would, so the
// simulated plugin sees exactly the arguments a real one would:
// - RunShellScript (sh): words split on unquoted whitespace; '…' is literal; "…" takes backslash escapes
//   of " \ $ ` (other backslashes stay); a backslash outside quotes escapes the next character.
// - RunBatScript (cmd.exe, then the program's argv parser): ^ escapes the next character outside double
//   quotes; then the Microsoft C runtime rules: whitespace outside quotes separates, " toggles quoting,
//   2n backslashes before " give n backslashes (and the quote toggles), 2n+1 give n and a literal ",
//   "" inside quotes is a literal ", backslashes elsewhere are literal. ' is an ordinary character.
// - RunPowerShellScript: '…' literal ('' is a '), "…" with backtick escapes, a backtick outside quotes
//   escapes the next character.
// Unterminated quotes are errors (the plugin then exits 2, as with any unparseable --params).

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

export function cmdWords(line: string): string[] {
  // cmd.exe: carets outside double quotes escape the next character and are removed.
  let afterCmd = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    if (c === "^" && !quoted && i + 1 < line.length) {
      afterCmd += line[++i];
      continue;
    }
    afterCmd += c;
  }
  // The program's own argv parsing (Microsoft C runtime).
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  quoted = false;
  for (let i = 0; i < afterCmd.length; i++) {
    const c = afterCmd[i];
    if (c === "\\") {
      let n = 0;
      while (afterCmd[i] === "\\") {
        n++;
        i++;
      }
      if (afterCmd[i] === '"') {
        cur += "\\".repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else quoted = !quoted;
      } else {
        cur += "\\".repeat(n);
        i--;
      }
      inWord = true;
    } else if (c === '"') {
      if (quoted && afterCmd[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
      inWord = true;
    } else if (/\s/.test(c) && !quoted) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quoted) throw new Error("unterminated double quote");
  if (inWord) words.push(cur);
  return words;
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
