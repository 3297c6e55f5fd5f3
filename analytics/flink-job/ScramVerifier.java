import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.postgresql.util.PasswordUtil;

/**
 * Prints the SCRAM-SHA-256 verifier (PostgreSQL's stored form: iterations, salt, StoredKey, ServerKey) of the password
 * read from standard input, which must be UTF-8 and not empty; nothing else is read or printed. migrate.sh runs it
 * with Java's source launcher on the classpath of migrate/pom.xml: the encoding is the PostgreSQL JDBC driver's own
 * (PasswordUtil, SASLprep and a random salt, what PGConnection.alterUserPassword sends), so the plain password never
 * reaches the server, its statement log or pgAudit; PostgreSQL stores a verifier it is given as it is.
 */
public final class ScramVerifier {
  public static void main(String[] args) throws Exception {
    byte[] input = System.in.readAllBytes();
    if (input.length == 0) {
      fail("no password on standard input");
    }
    char[] password;
    try {
      password = toChars(input);
    } catch (CharacterCodingException e) {
      fail("the password on standard input is not UTF-8");
      return;
    } finally {
      Arrays.fill(input, (byte) 0);
    }
    try {
      System.out.println(PasswordUtil.encodeScramSha256(password));
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  private static char[] toChars(byte[] input) throws CharacterCodingException {
    var chars = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(input));
    char[] password = new char[chars.remaining()];
    chars.get(password);
    return password;
  }

  private static void fail(String message) {
    System.err.println("ScramVerifier: " + message);
    System.exit(2);
  }
}
