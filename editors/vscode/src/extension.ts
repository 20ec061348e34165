import * as vscode from "vscode";
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

const CLIENT_ID = "numgil";
const CLIENT_NAME = "numgil";

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let traceChannel: vscode.OutputChannel | undefined;
// Serializes start/stop so that rapid configuration changes cannot race.
let pending: Promise<void> = Promise.resolve();

function serverOptions(): ServerOptions {
  const config = vscode.workspace.getConfiguration("numgil");
  const command = config.get<string>("path", "numgil") || "numgil";
  const args = config.get<string[]>("args", ["server"]) ?? ["server"];
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const executable: Executable = {
    command,
    args,
    options: cwd ? { cwd } : undefined,
  };
  return { run: executable, debug: executable };
}

function clientOptions(): LanguageClientOptions {
  outputChannel ??= vscode.window.createOutputChannel("numgil");
  traceChannel ??= vscode.window.createOutputChannel("numgil (trace)");
  return {
    documentSelector: [{ scheme: "file", language: "python" }],
    outputChannel,
    traceOutputChannel: traceChannel,
    synchronize: {
      // Project configuration affects which code counts as a thread task.
      fileEvents: vscode.workspace.createFileSystemWatcher(
        "**/{numgil.toml,pyproject.toml}",
      ),
    },
  };
}

async function startClient(): Promise<void> {
  // The language client reads `numgil.trace.server` itself (section = client id).
  const next = new LanguageClient(
    CLIENT_ID,
    CLIENT_NAME,
    serverOptions(),
    clientOptions(),
  );
  client = next;
  try {
    await next.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(
      `numgil: could not start the language server (${message}). ` +
        "Check the `numgil.path` and `numgil.args` settings.",
    );
  }
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  if (current === undefined) {
    return;
  }
  try {
    if (current.isRunning()) {
      await current.stop();
    }
  } catch {
    // A server that died already cannot be stopped cleanly; nothing to do.
  } finally {
    try {
      await current.dispose();
    } catch {
      // ignore
    }
  }
}

function restart(): Promise<void> {
  pending = pending.then(async () => {
    await stopClient();
    await startClient();
  });
  return pending;
}

export function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("numgil.restart", () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (
        event.affectsConfiguration("numgil.path") ||
        event.affectsConfiguration("numgil.args")
      ) {
        void restart();
      }
    }),
    {
      dispose: () => {
        outputChannel?.dispose();
        traceChannel?.dispose();
      },
    },
  );
  pending = pending.then(() => startClient());
  return pending;
}

export function deactivate(): Promise<void> {
  pending = pending.then(() => stopClient());
  return pending;
}
