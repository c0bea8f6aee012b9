// What a transport hands the endpoint: a reader that yields parsed JSON-RPC messages and a writer that takes them,
// each telling when it closes or fails. orchd's own small interfaces rather than vscode-jsonrpc's, so that a daemon
// does not compile vscode-jsonrpc (171 KB of the start-up bundle) before its `initialize` reply; the shapes are the
// same, so a vscode-jsonrpc client still talks to these transports unchanged.

/** One parsed JSON-RPC 2.0 message (its shape checked by the reader: framing.ts messageProblem). */
export type Message = object;

export interface Disposable {
  dispose(): void;
}

export type DataCallback = (message: Message) => void;

export interface MessageReader {
  /** Start reading; `callback` gets each message, in order. */
  listen(callback: DataCallback): Disposable;
  onClose(listener: () => void): Disposable;
  onError(listener: (error: Error) => void): Disposable;
  dispose(): void;
}

export interface MessageWriter {
  /** Write one message; resolves once the transport has taken it. */
  write(message: Message): Promise<void>;
  /** Close the way out (the client sees the connection end). */
  end(): void;
  onClose(listener: () => void): Disposable;
  onError(listener: (error: Error) => void): Disposable;
  dispose(): void;
}

/** Listeners for one kind of signal. */
class Signal<A extends unknown[]> {
  private listeners: ((...args: A) => void)[] = [];

  add(listener: (...args: A) => void): Disposable {
    this.listeners.push(listener);
    return { dispose: () => void (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }

  fire(...args: A): void {
    for (const listener of [...this.listeners]) listener(...args);
  }

  clear(): void {
    this.listeners = [];
  }
}

/** The close and error signals every reader and writer has. */
abstract class TransportEnd {
  private readonly closeSignal = new Signal<[]>();
  private readonly errorSignal = new Signal<[Error]>();

  onClose(listener: () => void): Disposable {
    return this.closeSignal.add(listener);
  }

  onError(listener: (error: Error) => void): Disposable {
    return this.errorSignal.add(listener);
  }

  protected fireClose(): void {
    this.closeSignal.fire();
  }

  protected fireError(error: unknown): void {
    this.errorSignal.fire(error instanceof Error ? error : new Error(String(error)));
  }

  dispose(): void {
    this.closeSignal.clear();
    this.errorSignal.clear();
  }
}

export abstract class AbstractMessageReader extends TransportEnd implements MessageReader {
  abstract listen(callback: DataCallback): Disposable;
}

export abstract class AbstractMessageWriter extends TransportEnd implements MessageWriter {
  abstract write(message: Message): Promise<void>;
  abstract end(): void;
}
