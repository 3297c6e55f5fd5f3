import { render } from 'preact';
import { SignInPage, SignUpPage } from './account';
import { Page } from './components';
import { ConsolePage } from './console';
import { type Route, useRoute } from './router';
import { CartPage, Catalogue, OrdersPage, ProductPage } from './shop';
import { cart, session, useStored } from './state';
import './styles.css';

function Header() {
  const signedIn = useStored(session);
  const lines = useStored(cart);
  const count = lines.reduce((n, l) => n + (Number.isFinite(l.quantity) ? l.quantity : 0), 0);
  return (
    <header>
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <p class="brand">
        <a href="#/">Shopfront</a>
      </p>
      <nav aria-label="Shop">
        <ul>
          <li>
            <a href="#/">Catalogue</a>
          </li>
          <li>
            <a href="#/cart">Cart ({count})</a>
          </li>
          {signedIn && (
            <li>
              <a href="#/orders">Orders</a>
            </li>
          )}
          {signedIn?.user.role === 'admin' && (
            <li>
              <a href="#/console">Console</a>
            </li>
          )}
          {signedIn ? (
            <li>
              <span class="who">{signedIn.user.name}</span>{' '}
              <button type="button" onClick={() => session.set(null)}>
                Sign out
              </button>
            </li>
          ) : (
            <>
              <li>
                <a href="#/sign-in">Sign in</a>
              </li>
              <li>
                <a href="#/sign-up">Create account</a>
              </li>
            </>
          )}
        </ul>
      </nav>
    </header>
  );
}

function Content(props: { route: Route }) {
  const { route } = props;
  switch (route.page) {
    case 'catalogue':
      return <Catalogue />;
    case 'product':
      return <ProductPage id={route.id} />;
    case 'cart':
      return <CartPage />;
    case 'orders':
      return <OrdersPage />;
    case 'sign-in':
      return <SignInPage />;
    case 'sign-up':
      return <SignUpPage />;
    case 'console':
      return <ConsolePage />;
    default:
      return (
        <Page title="Page not found">
          <p>
            There is no such page. <a href="#/">Back to the catalogue</a>
          </p>
        </Page>
      );
  }
}

function App() {
  const route = useRoute();
  return (
    <>
      <Header />
      <main id="main">
        <Content route={route} />
      </main>
      <footer>
        <p>A demonstration shop: pay with the test cards listed at checkout; no real money moves.</p>
      </footer>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
