/** Global settings, initialised from THEANODE_FLOATX and THEANODE_BACKEND. */
export type FloatX = 'float64' | 'float32';
/** A backend name as `fn`'s `backend` option and `config.backend` take it. */
export type BackendName = 'auto' | 'native' | 'js' | 'debug';

function envFloatX(): FloatX {
  const v = process.env.THEANODE_FLOATX;
  if (v === undefined || v === '') return 'float64';
  if (v === 'float64' || v === 'float32') return v;
  throw new Error(`THEANODE_FLOATX must be float64 or float32, got ${JSON.stringify(v)}`);
}

function envBackend(): BackendName {
  const v = process.env.THEANODE_BACKEND;
  if (v === undefined || v === '') return 'auto';
  if (v === 'auto' || v === 'native' || v === 'js' || v === 'debug') return v;
  throw new Error(`THEANODE_BACKEND must be auto, native, js or debug, got ${JSON.stringify(v)}`);
}

/** The type of {@link config}: library-wide settings, read from the environment at start. */
export class Config {
  private _floatX: FloatX = envFloatX();
  private _backend: BackendName = envBackend();

  get floatX(): FloatX {
    return this._floatX;
  }
  set floatX(v: FloatX) {
    if (v !== 'float64' && v !== 'float32') throw new TypeError(`config.floatX must be 'float64' or 'float32', got ${JSON.stringify(v)}`);
    this._floatX = v;
  }
  get backend(): BackendName {
    return this._backend;
  }
  set backend(v: BackendName) {
    if (!(['auto', 'native', 'js', 'debug'] as unknown[]).includes(v)) throw new TypeError(`config.backend must be auto, native, js or debug, got ${JSON.stringify(v)}`);
    this._backend = v;
  }
}

/**
 * Library-wide settings: `floatX` (the default float dtype) and `backend`, read from THEANODE_FLOATX and THEANODE_BACKEND at start.
 * @example config.floatX = 'float32';
 */
export const config = new Config();
