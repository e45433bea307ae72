package xts

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

type vector struct {
	name string
	key  string
	dusn uint64
	ptx  string
	ctx  string
}

// inlineVectors are IEEE 1619-2007 Annex B vectors 1-5 and 10, as also
// carried by golang.org/x/crypto/xts's tests. Vectors 1-3 use 32-byte data
// units, 4-5 and 10 512-byte ones.
var inlineVectors = []vector{
	{
		name: "vector 1",
		key:  "0000000000000000000000000000000000000000000000000000000000000000",
		dusn: 0,
		ptx:  "0000000000000000000000000000000000000000000000000000000000000000",
		ctx:  "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e",
	},
	{
		name: "vector 2",
		key:  "1111111111111111111111111111111122222222222222222222222222222222",
		dusn: 0x3333333333,
		ptx:  "4444444444444444444444444444444444444444444444444444444444444444",
		ctx:  "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0",
	},
	{
		name: "vector 3",
		key:  "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f022222222222222222222222222222222",
		dusn: 0x3333333333,
		ptx:  "4444444444444444444444444444444444444444444444444444444444444444",
		ctx:  "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89",
	},
	{
		name: "vector 4",
		key:  "2718281828459045235360287471352631415926535897932384626433832795",
		dusn: 0,
		ptx:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		ctx:  "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89cc78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad02655ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f4341332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203ebb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18deb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568",
	},
	{
		name: "vector 5",
		key:  "2718281828459045235360287471352631415926535897932384626433832795",
		dusn: 1,
		ptx:  "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89cc78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad02655ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f4341332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203ebb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18deb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568",
		ctx:  "264d3ca8512194fec312c8c9891f279fefdd608d0c027b60483a3fa811d65ee59d52d9e40ec5672d81532b38b6b089ce951f0f9c35590b8b978d175213f329bb1c2fd30f2f7f30492a61a532a79f51d36f5e31a7c9a12c286082ff7d2394d18f783e1a8e72c722caaaa52d8f065657d2631fd25bfd8e5baad6e527d763517501c68c5edc3cdd55435c532d7125c8614deed9adaa3acade5888b87bef641c4c994c8091b5bcd387f3963fb5bc37aa922fbfe3df4e5b915e6eb514717bdd2a74079a5073f5c4bfd46adf7d282e7a393a52579d11a028da4d9cd9c77124f9648ee383b1ac763930e7162a8d37f350b2f74b8472cf09902063c6b32e8c2d9290cefbd7346d1c779a0df50edcde4531da07b099c638e83a755944df2aef1aa31752fd323dcb710fb4bfbb9d22b925bc3577e1b8949e729a90bbafeacf7f7879e7b1147e28ba0bae940db795a61b15ecf4df8db07b824bb062802cc98a9545bb2aaeed77cb3fc6db15dcd7d80d7d5bc406c4970a3478ada8899b329198eb61c193fb6275aa8ca340344a75a862aebe92eee1ce032fd950b47d7704a3876923b4ad62844bf4a09c4dbe8b4397184b7471360c9564880aedddb9baa4af2e75394b08cd32ff479c57a07d3eab5d54de5f9738b8d27f27a9f0ab11799d7b7ffefb2704c95c6ad12c39f1e867a4b7b1d7818a4b753dfd2a89ccb45e001a03a867b187f225dd",
	},
	{
		name: "vector 10",
		key:  "27182818284590452353602874713526624977572470936999595749669676273141592653589793238462643383279502884197169399375105820974944592",
		dusn: 0xff,
		ptx:  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		ctx:  "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed43851ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151",
	},
}

// ieeeVectors returns vectors 1-10: the inline ones plus 6-9 from testdata,
// whose chained plaintexts are the previous vector's ciphertext.
func ieeeVectors(t *testing.T) []vector {
	t.Helper()
	f, err := os.Open("testdata/ieee1619_v6_9.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		fields[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	const key128 = "2718281828459045235360287471352631415926535897932384626433832795"
	vs := append([]vector(nil), inlineVectors[:5]...)
	prev := vs[4].ctx
	for _, n := range []string{"6", "7", "8", "9"} {
		dusn, err := strconv.ParseUint(fields["v"+n+".dusn"], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		ptx := prev
		if p, ok := fields["v"+n+".ptx"]; ok {
			ptx = p
		}
		v := vector{name: "vector " + n, key: key128, dusn: dusn, ptx: ptx, ctx: fields["v"+n+".ctx"]}
		vs = append(vs, v)
		prev = v.ctx
	}
	return append(vs, inlineVectors[5])
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// implementations lists the code paths this machine can run: the portable
// one always, the assembly when the CPU has it.
func implementations() map[string]bool {
	m := map[string]bool{"go": false}
	if hasAsm() {
		m["asm"] = true
	}
	return m
}

func TestIEEE1619Vectors(t *testing.T) {
	vs := ieeeVectors(t)
	if len(vs) != 10 {
		t.Fatalf("got %d vectors, want 10", len(vs))
	}
	for impl, asm := range implementations() {
		for _, v := range vs {
			t.Run(impl+"/"+v.name, func(t *testing.T) {
				c, err := newCipher(unhex(t, v.key), asm)
				if err != nil {
					t.Fatal(err)
				}
				ptx, ctx := unhex(t, v.ptx), unhex(t, v.ctx)
				got := make([]byte, len(ptx))
				if len(ptx) == SectorSize {
					// The data unit sequence number is the sector number.
					c.EncryptSectors(got, ptx, v.dusn)
				} else {
					c.unit(got, ptx, v.dusn, false)
				}
				if !bytes.Equal(got, ctx) {
					t.Fatalf("encrypt:\n got %x\nwant %x", got, ctx)
				}
				if len(ptx) == SectorSize {
					c.DecryptSectors(got, ctx, v.dusn)
				} else {
					c.unit(got, ctx, v.dusn, true)
				}
				if !bytes.Equal(got, ptx) {
					t.Fatalf("decrypt:\n got %x\nwant %x", got, ptx)
				}
			})
		}
	}
}

// TestKeySchedule checks the expansion against FIPS-197 Appendix A directly;
// the vectors and the comparison with x/crypto/xts check it end to end.
func TestKeySchedule(t *testing.T) {
	tests := []struct {
		key, last string
	}{
		// FIPS-197 Appendix A.1 and A.3: the final round key.
		{"2b7e151628aed2a6abf7158809cf4f3c", "d014f9a8c9ee2589e13f0cc8b6630ca6"},
		{"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "fe4890d1e6188d0b046df344706c631e"},
	}
	for _, tt := range tests {
		enc, rounds := expandKey(unhex(t, tt.key))
		if got := hex.EncodeToString(enc[16*rounds:]); got != tt.last {
			t.Errorf("key %s: last round key %s, want %s", tt.key, got, tt.last)
		}
		if got := hex.EncodeToString(enc[:len(tt.key)/2]); got != tt.key {
			t.Errorf("key %s: schedule starts %s", tt.key, got)
		}
		dec := decryptKeys(enc, rounds)
		if !bytes.Equal(dec[:16], enc[16*rounds:]) || !bytes.Equal(dec[16*rounds:], enc[:16]) {
			t.Errorf("key %s: decryption schedule not reversed", tt.key)
		}
	}
	// The S-box from field arithmetic against a few published entries.
	for in, want := range map[byte]byte{0x00: 0x63, 0x01: 0x7c, 0x53: 0xed, 0xff: 0x16, 0x10: 0xca} {
		if got := sbox(in); got != want {
			t.Errorf("sbox(%#x) = %#x, want %#x", in, got, want)
		}
	}
}
