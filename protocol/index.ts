// The wire contract: schemas, the method table, error codes and the protocol version.
export * from './common.js';
export * from './config.js';
export * from './daemon.js';
export * from './entries.js';
export * from './errors.js';
export * from './events.js';
export * from './execution.js';
export * from './fs.js';
export * from './git.js';
export * from './lifecycle.js';
export * from './methods.js';
export * from './project.js';
export * from './service.js';
export * from './task.js';
export * from './terminal.js';
export * from './version.js';
export * from './workspace.js';
