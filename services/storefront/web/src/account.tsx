import { useState } from 'preact/hooks';
import { ApiError, api, fieldErrors } from './api';
import { Field, Notice, Page } from './components';
import { navigate } from './router';
import { type Session, session } from './state';

interface LoginResult {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly user: Session['user'];
}

async function signIn(email: string, password: string): Promise<void> {
  const result = await api<LoginResult>('/auth/login', { method: 'POST', body: { email, password } });
  session.set({ token: result.accessToken, expiresAt: Date.now() + result.expiresIn * 1000, user: result.user });
}

/** The form state every account page shares: values, the API's field errors, one message. */
function useForm<K extends string>(initial: Record<K, string>) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (key: K) => (value: string) => setValues({ ...values, [key]: value });
  const submit = (action: () => Promise<void>, wordsFor: (error: ApiError) => string) => async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors({});
    setMessage(undefined);
    try {
      await action();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const fields = fieldErrors(error);
      setErrors(fields);
      setMessage(Object.keys(fields).length > 0 ? 'Please correct the highlighted field.' : wordsFor(error));
    } finally {
      setBusy(false);
    }
  };
  return { values, errors, message, busy, set, submit };
}

const tryAgain = (error: ApiError) =>
  error.status === 0 || error.status >= 500 ? 'The shop could not answer just now. Please try again.' : undefined;

export function SignInPage() {
  const form = useForm({ email: '', password: '' });
  return (
    <Page title="Sign in">
      {form.message && <Notice kind="error">{form.message}</Notice>}
      <form
        noValidate
        onSubmit={form.submit(
          async () => {
            await signIn(form.values.email, form.values.password);
            navigate('#/');
          },
          (error) =>
            tryAgain(error) ??
            (error.status === 401 ? 'That email and password do not match an account.' : 'Signing in failed.'),
        )}
      >
        <Field
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          value={form.values.email}
          onInput={form.set('email')}
          error={form.errors.email}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={form.values.password}
          onInput={form.set('password')}
          error={form.errors.password}
        />
        <button type="submit" disabled={form.busy}>
          Sign in
        </button>
      </form>
      <p>
        New here? <a href="#/sign-up">Create an account</a>
      </p>
    </Page>
  );
}

export function SignUpPage() {
  const form = useForm({ name: '', email: '', password: '' });
  return (
    <Page title="Create an account">
      {form.message && <Notice kind="error">{form.message}</Notice>}
      <form
        noValidate
        onSubmit={form.submit(
          async () => {
            const { name, email, password } = form.values;
            await api('/auth/register', { method: 'POST', body: { name, email, password } });
            await signIn(email, password);
            navigate('#/');
          },
          (error) =>
            tryAgain(error) ??
            (error.code === 'ALREADY_EXISTS'
              ? 'An account with this email exists already: sign in instead.'
              : 'The account could not be created.'),
        )}
      >
        <Field
          name="name"
          label="Name"
          autoComplete="name"
          value={form.values.name}
          onInput={form.set('name')}
          error={form.errors.name}
        />
        <Field
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          value={form.values.email}
          onInput={form.set('email')}
          error={form.errors.email}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters; not a common password."
          value={form.values.password}
          onInput={form.set('password')}
          error={form.errors.password}
        />
        <button type="submit" disabled={form.busy}>
          Create account
        </button>
      </form>
    </Page>
  );
}
