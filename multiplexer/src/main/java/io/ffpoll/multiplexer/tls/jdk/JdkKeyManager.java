package io.ffpoll.multiplexer.tls.jdk;

import io.ffpoll.multiplexer.tls.CertifiedKey;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Serves a {@code TlsSettings}' certificates to the JDK's TLS engine. A server picks by the
 * name the client asked for in SNI: an exact name, else the {@code *.rest} wildcard of a name
 * with one more label, else the default certificate. A name that matched is served its own
 * certificate or none: the JDK asks once per key type the client can verify ("EC", then
 * "RSA", in the client's order), and answering the default to a key type the named
 * certificate does not fit would hand out the wrong certificate when a later key type would
 * have fitted. A client offers its one certificate to every server that asks, whatever
 * authorities the server names: the server decides. Immutable, thread-safe.
 */
final class JdkKeyManager extends X509ExtendedKeyManager {
    private static final String DEFAULT = "default";
    private static final String NAMED = "name:";

    private final CertifiedKey defaultKey;
    private final Map<String, CertifiedKey> byName;

    /**
     * @param defaultKey served when no name matches (a server's), or offered (a client's); may be null
     * @param byName certificates by lower-case DNS name or {@code *.suffix} wildcard
     */
    JdkKeyManager(CertifiedKey defaultKey, Map<String, CertifiedKey> byName) {
        this.defaultKey = defaultKey;
        this.byName = Map.copyOf(byName);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return serverAlias(keyType, engine == null ? null : engine.getHandshakeSession());
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return serverAlias(keyType, socket instanceof SSLSocket s ? s.getHandshakeSession() : null);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return clientAlias(keyTypes);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return clientAlias(keyTypes);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        List<String> out = new ArrayList<>();
        if (fits(defaultKey, keyType)) {
            out.add(DEFAULT);
        }
        byName.forEach((name, key) -> {
            if (fits(key, keyType)) {
                out.add(NAMED + name);
            }
        });
        return out.isEmpty() ? null : out.toArray(String[]::new);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return fits(defaultKey, keyType) ? new String[] {DEFAULT} : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        CertifiedKey key = byAlias(alias);
        return key == null ? null : key.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        CertifiedKey key = byAlias(alias);
        return key == null ? null : key.key();
    }

    private String serverAlias(String keyType, SSLSession handshake) {
        if (handshake == null) {
            // The JDK restoring a session from its ticket asks for a key of the ticket's type
            // before the handshake's session, and with it the client's server name, exists. A
            // null here would refuse to resume every session of a named certificate whose key
            // type the default's does not share; any key of the type lets it resume (what the
            // restored session then reports as its local certificate may be the default's).
            return anyServerAlias(keyType);
        }
        String requested = requestedName(handshake);
        String name = requested == null ? null : match(requested);
        if (name != null) {
            return fits(byName.get(name), keyType) ? NAMED + name : null;
        }
        return fits(defaultKey, keyType) ? DEFAULT : null;
    }

    private String anyServerAlias(String keyType) {
        if (fits(defaultKey, keyType)) {
            return DEFAULT;
        }
        for (var named : byName.entrySet()) {
            if (fits(named.getValue(), keyType)) {
                return NAMED + named.getKey();
            }
        }
        return null;
    }

    private String clientAlias(String[] keyTypes) {
        if (keyTypes == null) {
            return null;
        }
        for (String keyType : keyTypes) {
            if (fits(defaultKey, keyType)) {
                return DEFAULT;
            }
        }
        return null;
    }

    /** The name the client asked for, lower case, or null when it sent no host name. */
    private static String requestedName(SSLSession handshake) {
        if (handshake instanceof ExtendedSSLSession s) {
            for (SNIServerName n : s.getRequestedServerNames()) {
                if (n instanceof SNIHostName host) {
                    return host.getAsciiName().toLowerCase(Locale.ROOT);
                }
            }
        }
        return null;
    }

    /** The key of {@link #byName} serving {@code requested}, or null. */
    private String match(String requested) {
        if (byName.containsKey(requested)) {
            return requested;
        }
        // "*.example.com" stands for one label: it serves a.example.com, not a.b.example.com
        // (whose wildcard is *.b.example.com) nor example.com.
        int dot = requested.indexOf('.');
        if (dot > 0 && dot < requested.length() - 1) {
            String wildcard = "*" + requested.substring(dot);
            if (byName.containsKey(wildcard)) {
                return wildcard;
            }
        }
        return null;
    }

    private CertifiedKey byAlias(String alias) {
        if (DEFAULT.equals(alias)) {
            return defaultKey;
        }
        if (alias != null && alias.startsWith(NAMED)) {
            return byName.get(alias.substring(NAMED.length()));
        }
        return null;
    }

    /** The JDK names key types as key algorithms: "RSA", "EC", "RSASSA-PSS", "EdDSA". */
    private static boolean fits(CertifiedKey key, String keyType) {
        return key != null && key.key().getAlgorithm().equals(keyType);
    }
}
