// The service's log: JSON lines (pino) for log pipelines, or a human format for the terminal. Events
// carry ids, steps and timings, never a credential (the controller's events have none to carry).
import pino, { type Logger } from "pino";

export type LogFormat = "json" | "human";

export function createLogger(format: LogFormat, level = "info", destination: NodeJS.WritableStream = process.stdout): Logger {
  if (format === "json") return pino({ level, base: { service: "pulumi-recovery" }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  // pino-pretty as a stream in this process (no worker thread): the same logger, printed for people.
  const pretty = require("pino-pretty") as (o: object) => NodeJS.WritableStream;
  return pino({ level }, pretty({ destination, colorize: false, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" }));
}
