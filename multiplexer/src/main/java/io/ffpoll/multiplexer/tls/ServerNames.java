package io.ffpoll.multiplexer.tls;

import javax.net.ssl.SNIHostName;

/**
 * The names a client takes from the host it connects to, the same for every engine: the name
 * its certificate check uses, and the name it sends in SNI, if any.
 */
public final class ServerNames {
    private ServerNames() {}

    /**
     * {@return the name a certificate is checked against: {@code host} without the trailing dot
     * of a fully qualified name ("example.com." is "example.com"; certificates name hosts
     * without it), an internationalized name in its ASCII form ("xn--..."), or null for null}
     *
     * @param host the host as the user gave it
     */
    public static String checked(String host) {
        if (host == null) {
            return null;
        }
        String name = host.length() > 1 && host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        String ascii = sni(name);
        return ascii != null ? ascii : name; // certificates name an internationalized host by its ASCII form
    }

    /**
     * {@return the SNI name for {@link #checked} {@code host}, or null when none is sent: RFC
     * 6066 3 carries DNS host names only, never an address literal; a name that is no host name
     * by the JDK's rules (an underscore, an empty label) goes unnamed too rather than failing
     * the connection, and its certificate is still checked against it. An internationalized
     * name goes as its ASCII form}
     *
     * @param host the checked name
     */
    public static String sni(String host) {
        if (host == null || isAddressLiteral(host)) {
            return null;
        }
        try {
            return new SNIHostName(host).getAsciiName();
        } catch (IllegalArgumentException notAHostName) {
            return null;
        }
    }

    private static boolean isAddressLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }
}
