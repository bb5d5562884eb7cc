// Writes shared/src/common-passwords.txt: the list of passwords registration refuses (weak_password).
//
// No breach corpus can be downloaded where authgate is built, so the list is generated from what the
// published top-password lists (SplashData, NordPass, the RockYou and HIBP top lists) have in common:
// the passwords and words that head every one of them, keyboard walks and digit runs, and the ways
// people stretch them to a length rule (a number, a year, "!", "@123", a capital, leetspeak).
// Run: node scripts/generate-common-passwords.mjs
import { writeFileSync } from 'node:fs';

const TOP_PASSWORDS = `
123456 123456789 12345678 12345 1234567 1234567890 123123 111111 000000 654321 666666 121212 112233
123321 7777777 888888 999999 555555 222222 333333 444444 101010 131313 159753 147258 147258369 159357
987654321 0987654321 1q2w3e 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx 1qazxsw2 zaq12wsx zaq1zaq1 2wsx3edc
qazwsx qazwsxedc qwerty qwerty1 qwerty12 qwerty123 qwertyui qwertyuiop qwe123 qweasd qweasdzxc asdfgh
asdfghjk asdfghjkl asd123 zxcvbn zxcvbnm zxc123 asdzxc 1234qwer qwer1234 q1w2e3r4 q1w2e3r4t5 a1b2c3d4
abc123 abcd1234 1234abcd 123abc aa123456 a123456 a12345678 123qwe 123qweasd 123456a 123456q 11111111
password password1 password12 password123 passw0rd p@ssw0rd p@ssword pa55word pa55w0rd passwort motdepasse
contrasena senha parola wachtwoord haslo salasana losenord
iloveyou iloveu loveyou lovely loveme lovelove trustno1 letmein letmein1 welcome welcome1 welcome123
changeme default secret secret123 admin admin123 administrator root toor guest login access master
master123 test test123 testing tester demo user user123 sample temp temppass qwertz azerty
monkey dragon shadow sunshine princess football baseball basketball soccer hockey superman batman
spiderman ironman starwars pokemon computer internet whatever freedom ginger cheese summer winter
spring autumn flower butterfly chocolate cookie pepper maggie tigger bailey harley ranger mustang
corvette ferrari mercedes porsche yankees lakers cowboys eagles steelers liverpool arsenal chelsea
barcelona juventus manchester united michael jennifer jordan hunter hunter2 killer buster charlie
thomas robert daniel andrew joshua matthew jessica ashley amanda michelle nicole anthony william
jasmine justin taylor george hannah austin samantha melissa heather richard charles edward peter
angel angels babygirl baby babyboy jesus christ blessed heaven family forever friends friend mother
father mommy daddy sister brother honey sweetie sweetheart darling beautiful pretty princesa
qwerty1234 1qaz2wsx3edc zxcvbnm123 asdf1234 zxcv1234 asdfasdf qwerqwer 12qwaszx q1w2e3 1a2b3c4d
dragon1 monkey1 shadow1 master1 sunshine1 princess1 football1 baseball1 superman1 batman1 iloveyou1
michael1 jordan23 jordan1 charlie1 hello hello123 hello1 helloworld whatsup nothing secure security
matrix matrix1 merlin merlin1 phoenix wizard magic mickey minnie disney snoopy garfield scooby
bulldog doggie puppy kitten kitty tiger lion eagle falcon panther jaguar dolphin shark cobra viper
rocket rockstar rock music guitar piano dance singer player gamer gaming minecraft fortnite roblox
zelda mario sonic naruto goku dragonball onepiece hellokitty ninja samurai warrior soldier
ranger1 cowboy hunter1 fishing golf tennis runner cycling skater surfer
london paris berlin madrid rome tokyo newyork chicago boston dallas texas california florida
america canada mexico brasil brazil germany france england scotland ireland australia india china
russia ukraine poland italia italy spain japan korea
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
red blue green yellow orange purple black white silver golden gold diamond
money cash rich million dollar bitcoin crypto lucky lucky7 lucky13 winner champion legend
killer1 god godisgood jesuschrist lord amen faith hope grace
pass pass123 passpass pw123 mypass mypassword newpassword oldpassword nopassword
letmein123 open sesame opensesame openup knock abc abcdef abcdefg abcdefgh qwertyu
asdf zxcv 1234 4321 0000 1111 2222 6969 696969 420 42069 1337 31337 007 jamesbond bond007
iloveyou2 iloveme imthebest thebest best bestfriend boyfriend girlfriend husband wife
hottie sexy sexy123 lover love123 love love1 loveu babe baby123 cutie
apple banana orange cherry strawberry mango pineapple lemon peaches
coffee tea beer vodka whiskey pizza burger pasta bacon
computer1 laptop windows linux apple123 iphone android samsung google facebook twitter instagram
youtube netflix amazon microsoft
school student teacher college university
nascar ford chevy honda toyota nissan bmw audi tesla
superstar starlight moonlight sunlight rainbow unicorn angel1 angelina
killer123 destroyer terminator predator alien
hello12345 welcome2 welcome12 qwerty321 password1234 password12345 123password
1q2w3e4r5 azertyuiop qwertzuiop
`;

const WALKS_AND_RUNS = [
  ...Array.from({ length: 10 }, (_, d) => String(d).repeat(8)),
  ...Array.from({ length: 10 }, (_, d) => String(d).repeat(10)),
  ...Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i).repeat(8)),
  '12345678',
  '123456789',
  '1234567890',
  '12345678910',
  '01234567',
  '87654321',
  '98765432',
  '9876543210',
  'abcdefgh',
  'abcdefghi',
  'abcdefghij',
  'zyxwvuts',
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm,',
  'poiuytrewq',
  'lkjhgfdsa',
  'mnbvcxz',
  '!qaz2wsx',
  '1qaz!qaz',
  '!qaz@wsx',
  '!@#$%^&*',
  '!@#$%^&*()',
  '1234!@#$',
  '!@#$1234',
  'qwer!@#$',
  'q!w@e#r$',
  '11223344',
  '12341234',
  '12121212',
  '11112222',
  '12344321',
  '123654789',
  '147852369',
  '741852963',
  '159753456',
  '1029384756',
  '5201314',
  '52013145201314',
  '1314520',
];

const SUFFIXES = ['1', '12', '123', '1234', '12345', '!', '1!', '123!', '@123', '01', '69', '99'];
const YEARS = ['1990', '1999', '2000', '2020', '2021', '2022', '2023', '2024', '2025', '2026'];
const LEET = { a: '@', o: '0', e: '3', s: '$', i: '1' };

const base = [
  ...new Set(
    TOP_PASSWORDS.split(/\s+/)
      .map((w) => w.trim().toLowerCase())
      .filter((w) => w.length >= 3),
  ),
];
const out = new Set();
// Stretched variants are listed only where they reach the 8-character minimum: shorter ones fail it
// anyway. The bare words are kept at any length, for the comparison after stripping digits and symbols.
const stretched = (candidate) => candidate.length >= 8 && out.add(candidate);
for (const word of base) {
  out.add(word);
  // Stretched only when it is a bare word: "summer2024", "p@ssw0rd1", not "master1231999".
  if (!/^[a-z]+$/.test(word)) continue;
  for (const suffix of SUFFIXES) stretched(word + suffix);
  for (const year of YEARS) stretched(word + year);
  let leet = word;
  for (const [plain, swapped] of Object.entries(LEET)) leet = leet.replaceAll(plain, swapped);
  if (leet !== word) for (const suffix of ['', '1', '123', '!']) stretched(leet + suffix);
}
for (const run of WALKS_AND_RUNS) out.add(run);

const entries = [...out]
  .filter((p) => p.length >= 4)
  .map((p) => p.toLowerCase())
  .sort();
const header = [
  '# Passwords authgate refuses at registration (weak_password): compared lower-cased, also after stripping',
  '# leading and trailing digits and symbols and undoing leetspeak (see shared/src/password-policy.ts).',
  '# Generated by scripts/generate-common-passwords.mjs; edit the script, not this file.',
];
writeFileSync(new URL('../shared/src/common-passwords.txt', import.meta.url), `${header.join('\n')}\n${entries.join('\n')}\n`);
console.log(`wrote ${entries.length} entries (${entries.filter((p) => p.length >= 8).length} of 8+ characters)`);
