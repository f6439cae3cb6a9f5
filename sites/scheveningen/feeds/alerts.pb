

2.0†ùÌ“…
HTM-2026-0718-11*¥
‡¨Ï“¿∂Ô“*HTM:11*	*22322010
8R2
0
*Tram 11 rijdt niet naar Scheveningen HavennlZW
U
ODoor werkzaamheden aan de kade eindigt tram 11 vandaag bij halte Badhuisstraat.nlB
HTM-2026-0718-2*/*HTM:208R 

Tram 2 rijdt minder vaaknl