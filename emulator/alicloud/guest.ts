// What a Cloud Assistant command does inside an instance when it starts. The emulator runs no shell:
// the app-snapshot plugin is simulated (plugin.ts); a command that is just the path of a file placed on
// the instance "runs" that script (its exit code, empty output); anything else is not interpreted and
// ends with exit code 0 and empty output. Delivery failures use the documented ErrorCode/ErrorInfo.
import type { GuestRun, Invocation } from "./assistant/model";
import { commandWords, firstCommandLine } from "./commandLine";
import { runAppSnapshotPlugin, type PluginEnv } from "./plugin";

export function runOnInstance(env: PluginEnv, instanceId: string, inv: Invocation, at: number): GuestRun {
  const inst = env.ecs.instances.get(instanceId);
  const abort = (errorCode: string, errorInfo: string): GuestRun => ({ exitCode: 0, output: "", abort: { errorCode, errorInfo } });
  if (!inst) return abort("InstanceNotExists", "the specified instance does not exists");
  if (inst.Status !== "Running") return abort("InstanceNotRunning", "the instance is not running when create task");
  if (!inst.agentInstalled) return abort("ClientNotRunning", "the aliyun service is not running on the instance");
  if (inst.hangInvocations) return { exitCode: 0, output: "", hang: true };

  const plugin = runAppSnapshotPlugin(env, inst, inv.CommandContent, inv.Type, at);
  if (plugin) return plugin;
  let words: string[] = [];
  try {
    words = commandWords(firstCommandLine(inv.CommandContent), inv.Type);
  } catch {
    return { exitCode: 2, output: "syntax error: unterminated quoted string\n" };
  }
  const script = words.length === 1 && Object.hasOwn(inst.files, words[0]) ? inst.files[words[0]] : undefined;
  return { exitCode: script ? script.exitCode : 0, output: "" };
}
